import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorInfo, logger } from '../../bridge/log.ts';
import type { Interactive, ReceivedMessage } from './carrier.ts';

/*
 * What the phones saw, both ways, as the phone page shows it: one list of messages, each between a
 * business number (sender) and a customer's number, with its state (ticks). With a directory, the
 * list and the media survive a restart of the dev stack.
 */

const log = logger('dev.phone.history');

/** mo: customer → business; mt: business → customer (carrier words). */
export type Direction = 'mo' | 'mt';
export type MessageState = 'sending' | 'failed' | 'queued' | 'sent' | 'delivered' | 'read';

const RANK: Record<MessageState, number> = {
  failed: 0,
  sending: 1,
  queued: 2,
  sent: 3,
  delivered: 4,
  read: 5,
};

export interface PhoneMessage {
  id: string;
  senderId: string;
  /** The customer's number, '+' and digits. */
  customer: string;
  direction: Direction;
  at: number;
  profileName?: string;
  text?: string;
  /** href: where the page shows it from. */
  media?: { href: string; mimeType: string; filename?: string; caption?: string };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  reply?: { id: string; title: string };
  inReplyTo?: string;
  interactive?: Interactive;
  template?: { name: string; language: string; parameters: string[] };
  state: MessageState;
  error?: string;
}

interface StoredMedia {
  mimeType: string;
  data?: Buffer;
}

interface Saved {
  messages: PhoneMessage[];
  media: Record<string, { mimeType: string }>;
  /** Idempotency key → carrier id of the business's messages. */
  keys: Record<string, string>;
  /** Carrier file name → media key (customers' uploads the bridge downloads). */
  files: Record<string, string>;
}

/** The customer's number as the phone shows it: '+' and digits, whatever was typed. */
export function canonicalNumber(raw: string): string {
  const digits = raw.replace(/[^0-9]/g, '');
  return digits ? `+${digits}` : raw.trim();
}

export class PhoneHistory {
  private readonly messages = new Map<string, PhoneMessage>();
  private readonly media = new Map<string, StoredMedia>();
  readonly keys = new Map<string, string>();
  readonly files = new Map<string, string>();
  private readonly listeners = new Set<(message: PhoneMessage) => void>();
  private readonly dir: string | undefined;
  private saving: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(dir?: string) {
    this.dir = dir;
  }

  async load(): Promise<void> {
    if (!this.dir) return;
    await mkdir(join(this.dir, 'media'), { recursive: true });
    const file = join(this.dir, 'history.json');
    if (!existsSync(file)) return;
    try {
      const saved = JSON.parse(await readFile(file, 'utf8')) as Saved;
      for (const m of saved.messages) this.messages.set(m.id, m);
      for (const [key, value] of Object.entries(saved.media)) this.media.set(key, value);
      for (const [key, id] of Object.entries(saved.keys)) this.keys.set(key, id);
      for (const [name, key] of Object.entries(saved.files)) this.files.set(name, key);
    } catch (err) {
      log.warn({ file, ...errorInfo(err) }, 'the phone history could not be read; starting empty');
    }
  }

  list(): PhoneMessage[] {
    return [...this.messages.values()];
  }

  get(id: string): PhoneMessage | undefined {
    return this.messages.get(id);
  }

  onChange(listener: (message: PhoneMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds or replaces a message and tells the pages. */
  put(message: PhoneMessage): PhoneMessage {
    this.messages.set(message.id, message);
    for (const listener of this.listeners) listener(message);
    this.scheduleSave();
    return message;
  }

  /** Moves a message to a later state (never back, except to failed from sending). */
  advance(id: string, state: MessageState, error?: string): PhoneMessage | undefined {
    const message = this.messages.get(id);
    if (!message) return undefined;
    const back = state === 'failed' ? message.state !== 'sending' : RANK[state] <= RANK[message.state];
    if (back) return undefined;
    return this.put({ ...message, state, ...(error ? { error } : {}) });
  }

  /** Stores a file; returns its key. */
  async addMedia(data: Buffer, mimeType: string): Promise<string> {
    const key = randomBytes(12).toString('hex');
    this.media.set(key, { mimeType, data });
    if (this.dir) await writeFile(join(this.dir, 'media', key), data);
    this.scheduleSave();
    return key;
  }

  async mediaData(key: string): Promise<{ data: Buffer; mimeType: string } | undefined> {
    const found = this.media.get(key);
    if (!found) return undefined;
    if (!found.data && this.dir) {
      try {
        found.data = await readFile(join(this.dir, 'media', key));
      } catch {
        return undefined;
      }
    }
    return found.data ? { data: found.data, mimeType: found.mimeType } : undefined;
  }

  /** A message from the bridge, as the phone shows it. */
  async fromBusiness(message: ReceivedMessage, state: MessageState): Promise<PhoneMessage> {
    let media: PhoneMessage['media'];
    if (message.media) {
      const { mimeType, filename, caption } = message.media;
      let href = message.media.url ?? '';
      if (message.media.dataBase64) {
        const key = await this.addMedia(Buffer.from(message.media.dataBase64, 'base64'), mimeType);
        href = `/page/media/${key}`;
      }
      media = { href, mimeType, ...(filename ? { filename } : {}), ...(caption ? { caption } : {}) };
    }
    this.keys.set(message.idempotencyKey, message.id);
    return this.put({
      id: message.id,
      senderId: message.senderId,
      customer: canonicalNumber(message.to),
      direction: 'mt',
      at: message.receivedAt,
      state,
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(media ? { media } : {}),
      ...(message.interactive ? { interactive: message.interactive } : {}),
      ...(message.template ? { template: message.template } : {}),
    });
  }

  private scheduleSave(): void {
    if (!this.dir || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.saving = this.saving.then(() => this.save());
    }, 200);
    this.timer.unref();
  }

  private async save(): Promise<void> {
    if (!this.dir) return;
    const saved: Saved = {
      messages: this.list(),
      media: Object.fromEntries([...this.media].map(([k, v]) => [k, { mimeType: v.mimeType }])),
      keys: Object.fromEntries(this.keys),
      files: Object.fromEntries(this.files),
    };
    const file = join(this.dir, 'history.json');
    try {
      await writeFile(`${file}.tmp`, JSON.stringify(saved));
      await rename(`${file}.tmp`, file);
    } catch (err) {
      log.warn({ file, ...errorInfo(err) }, 'could not save the phone history');
    }
  }

  /** Writes what is pending. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.saving = this.saving.then(() => this.save());
    }
    await this.saving;
  }
}
