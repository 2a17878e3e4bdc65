import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { errorInfo, logger } from '../../bridge/log.ts';

/*
 * The mail the dev stack's SMTP server received, newest last. With a directory, each message is
 * kept as it arrived (an .eml file any mail program opens) and read back at the next start.
 */

const log = logger('dev.email.store');

export interface StoredMail {
  id: string;
  receivedAt: Date;
  mail: ParsedMail;
}

/** A mail as the page's JSON lists it. */
export interface MailSummary {
  id: string;
  receivedAt: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  links: string[];
}

export function addresses(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

const URL_PATTERN = /https?:\/\/[^\s<>"')\]]+/g;

export function linksIn(text: string): string[] {
  return [...new Set(text.match(URL_PATTERN) ?? [])];
}

export function summary(stored: StoredMail): MailSummary {
  const text = stored.mail.text ?? '';
  return {
    id: stored.id,
    receivedAt: stored.receivedAt.toISOString(),
    from: addresses(stored.mail.from),
    to: addresses(stored.mail.to),
    subject: stored.mail.subject ?? '',
    text,
    links: linksIn(text),
  };
}

export class MailStore {
  readonly mails: StoredMail[] = [];
  private readonly listeners = new Set<(mail: StoredMail) => void>();
  private readonly dir: string | undefined;

  constructor(dir?: string) {
    this.dir = dir;
  }

  async load(): Promise<void> {
    if (!this.dir) return;
    await mkdir(this.dir, { recursive: true });
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.eml')).sort();
    for (const file of files) {
      try {
        const raw = await readFile(join(this.dir, file));
        const [stamp, id] = file.replace(/\.eml$/, '').split('-');
        this.mails.push({ id: id!, receivedAt: new Date(Number(stamp)), mail: await simpleParser(raw) });
      } catch (err) {
        log.warn({ file, ...errorInfo(err) }, 'skipping a stored mail that cannot be read');
      }
    }
  }

  onMail(listener: (mail: StoredMail) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async add(mail: ParsedMail, raw: Buffer): Promise<StoredMail> {
    const stored: StoredMail = { id: randomBytes(6).toString('hex'), receivedAt: new Date(), mail };
    if (this.dir) {
      if (!existsSync(this.dir)) await mkdir(this.dir, { recursive: true });
      // The time first, so that file names sort in arrival order.
      const stamp = String(stored.receivedAt.getTime()).padStart(14, '0');
      await writeFile(join(this.dir, `${stamp}-${stored.id}.eml`), raw);
    }
    this.mails.push(stored);
    for (const listener of this.listeners) listener(stored);
    return stored;
  }

  get(id: string): StoredMail | undefined {
    return this.mails.find((m) => m.id === id);
  }
}
