import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * The carrier side of the simulator provider (bridge/providers/simulator/provider.ts): one
 * implementation for the tests' fake phone and the dev stack's phone page. It receives the bridge's
 * signed sends as the simulator contract says (201 {id, status}; errors {error: {code, message}}),
 * honours idempotency keys like a careful carrier, fails on demand, serves signed media, and posts
 * signed inbound messages and delivery statuses to the bridge's webhook, retrying like a carrier
 * until it gets a 2xx.
 */

export type Fault =
  | { type: 'http'; status: number; body?: 'json' | 'html' }
  | { type: 'throttle'; retryAfterSeconds?: number }
  | { type: 'reject'; code: string; message?: string; status?: number }
  | { type: 'hang' }
  | { type: 'reset' };

/** What the bridge sent to a phone (the request body), as the carrier accepted it. */
export interface ReceivedMessage {
  id: string;
  senderId: string;
  to: string;
  from: string;
  channel: string;
  text?: string;
  media?: { mimeType: string; url?: string; dataBase64?: string; filename?: string; caption?: string };
  template?: { name: string; language: string; parameters: string[] };
  interactive?: Interactive;
  statusCallbackUrl?: string;
  idempotencyKey: string;
  receivedAt: number;
}

export interface Interactive {
  body: string;
  style: 'buttons' | 'list';
  listButton?: string;
  options: { id: string; title: string; description?: string }[];
}

/** A customer's message as the carrier posts it to the bridge. */
export interface InboundSpec {
  id?: string;
  from: string;
  profileName?: string;
  text?: string;
  media?: { url: string; mimeType?: string; filename?: string; caption?: string }[];
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  reply?: { id: string; title: string };
  /** The carrier id of the business message this one answers (a tapped button). */
  inReplyTo?: string;
  timestamp?: number;
}

export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'undelivered' | 'failed';

/** What the carrier saw happen, for whoever shows it (the phone page). */
export type CarrierEvent =
  { type: 'accepted'; message: ReceivedMessage } | { type: 'read'; senderId: string; messageId: string };

export interface SenderEntry {
  secret: string;
  /** Known to the dev stack (it created the sender); tests may leave them out. */
  channel?: 'sms' | 'whatsapp';
  address?: string;
  label?: string;
}

export function signature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function readBody(req: IncomingMessage, limit = 64 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export class Carrier {
  /** Every message accepted, once per idempotency key, in the order accepted. */
  readonly messages: ReceivedMessage[] = [];
  /** Every send request that reached the carrier, failed ones included. */
  readonly attempts: { idempotencyKey: string; outcome: string }[] = [];
  readonly reads: { senderId: string; messageId: string }[] = [];
  readonly mediaFetches: string[] = [];
  protected readonly senders = new Map<string, SenderEntry>();
  /** Idempotency key → carrier message id. */
  protected readonly byKey = new Map<string, string>();
  private readonly files = new Map<string, { data: () => Promise<Buffer>; mimeType: string }>();
  private readonly queued: Fault[] = [];
  private random: { rate: number; faults: Fault[]; next: () => number } | undefined;
  private readonly listeners = new Set<(event: CarrierEvent) => void>();
  protected readonly hanging = new Set<ServerResponse>();
  private webhookBase = '';
  private counter = 0;
  /** The carrier's own base URL (media links are built from it). */
  url = '';

  /** Where inbound webhooks go: the bridge's publicUrl. */
  setWebhookBase(url: string): void {
    this.webhookBase = url.replace(/\/$/, '');
  }

  addSender(senderId: string, secret: string, info: Omit<SenderEntry, 'secret'> = {}): void {
    this.senders.set(senderId, { ...info, secret });
  }

  /** The next sends fail this way, in order. */
  failNext(...faults: Fault[]): void {
    this.queued.push(...faults);
  }

  /** From now on, each send fails with probability `rate`, with one of `faults` (seeded). */
  failRandomly(rate: number, faults: Fault[], seed = 42): void {
    this.random = { rate, faults, next: seeded(seed) };
  }

  stopFailing(): void {
    this.queued.length = 0;
    this.random = undefined;
  }

  onEvent(listener: (event: CarrierEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected emit(event: CarrierEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** A file the carrier serves for inbound media (signed downloads), at the returned URL. */
  addFile(name: string, data: Buffer | (() => Promise<Buffer>), mimeType: string): string {
    this.files.set(name, { data: typeof data === 'function' ? data : async () => data, mimeType });
    return `${this.url}/files/${name.split('/').map(encodeURIComponent).join('/')}`;
  }

  private nextFault(): Fault | undefined {
    if (this.queued.length > 0) return this.queued.shift();
    if (this.random && this.random.next() < this.random.rate) {
      const { faults, next } = this.random;
      return faults[Math.floor(next() * faults.length)];
    }
    return undefined;
  }

  protected newMessageId(prefix: 'SM' | 'MO'): string {
    return `${prefix}${(++this.counter).toString().padStart(6, '0')}${randomBytes(4).toString('hex')}`;
  }

  /** Answers the bridge's requests; false when the path is not the carrier's. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = req.url ?? '/';
    if (req.method === 'GET' && path.startsWith('/files/')) {
      await this.serveFile(path, req, res);
      return true;
    }
    const api = /^\/api\/senders\/([^/]+)\/(messages|read)$/.exec(path.split('?')[0]!);
    if (!api) return false;
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: { code: 'rejected', message: 'use POST' } });
      return true;
    }
    await this.api(decodeURIComponent(api[1]!), api[2] as 'messages' | 'read', req, res);
    return true;
  }

  private async serveFile(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The provider signs the media URL itself with the sender's secret; any sender's will do.
    const given = String(req.headers['x-simulator-signature'] ?? '');
    const signed = `${this.url}${path}`;
    const ok = [...this.senders.values()].some((s) => safeEqual(given, signature(s.secret, signed)));
    if (!ok) return sendJson(res, 401, { error: { code: 'auth', message: 'bad signature' } });
    const name = path
      .slice('/files/'.length)
      .split('?')[0]!
      .split('/')
      .map((p) => decodeURIComponent(p))
      .join('/');
    const found = this.files.get(name);
    if (!found) return sendJson(res, 404, { error: { code: 'rejected', message: 'no such file' } });
    const data = await found.data();
    res.writeHead(200, { 'content-type': found.mimeType, 'content-length': String(data.length) });
    res.end(data);
  }

  private async api(
    senderId: string,
    action: 'messages' | 'read',
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const raw = await readBody(req);
    const secret = this.senders.get(senderId)?.secret;
    const given = String(req.headers['x-simulator-signature'] ?? '');
    if (!secret || !safeEqual(given, signature(secret, raw))) {
      return sendJson(res, 401, { error: { code: 'auth', message: 'bad signature' } });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, { error: { code: 'rejected', message: 'the body is not JSON' } });
    }
    if (action === 'read') {
      const messageId = String(body.messageId);
      this.reads.push({ senderId, messageId });
      this.emit({ type: 'read', senderId, messageId });
      return sendJson(res, 200, {});
    }
    const key = String(body.idempotencyKey);
    const fault = this.nextFault();
    this.attempts.push({ idempotencyKey: key, outcome: fault ? fault.type : 'accepted' });
    if (fault) return this.fail(req, res, fault);
    let id = this.byKey.get(key);
    if (!id) {
      id = this.newMessageId('SM');
      const message: ReceivedMessage = {
        ...(body as unknown as ReceivedMessage),
        id,
        senderId,
        receivedAt: Date.now(),
      };
      this.byKey.set(key, id);
      this.messages.push(message);
      this.emit({ type: 'accepted', message });
    }
    sendJson(res, 201, { id, status: 'queued' });
  }

  private fail(req: IncomingMessage, res: ServerResponse, fault: Fault): void {
    switch (fault.type) {
      case 'http':
        if (fault.body === 'html') {
          res.writeHead(fault.status, { 'content-type': 'text/html' });
          res.end('<html><body><h1>Service Unavailable</h1></body></html>');
        } else {
          sendJson(res, fault.status, { error: { code: 'unavailable', message: `HTTP ${fault.status}` } });
        }
        return;
      case 'throttle':
        sendJson(
          res,
          429,
          { error: { code: 'throttled', message: 'too many requests' } },
          fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
        );
        return;
      case 'reject':
        sendJson(res, fault.status ?? 400, {
          error: { code: fault.code, message: fault.message ?? fault.code },
        });
        return;
      case 'hang':
        this.hanging.add(res);
        return;
      case 'reset':
        req.socket.destroy();
        return;
    }
  }

  private async post(senderId: string, payload: unknown, attempts: number): Promise<void> {
    const secret = this.senders.get(senderId)?.secret;
    if (!secret) throw new Error(`phone simulator: unknown sender ${senderId}`);
    if (!this.webhookBase) throw new Error('phone simulator: no webhook base URL (setWebhookBase)');
    const body = JSON.stringify(payload);
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(`${this.webhookBase}/webhooks/simulator/${senderId}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-simulator-signature': signature(secret, body) },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        if (res.ok) return;
        last = `HTTP ${res.status} ${await res.text()}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      // Carriers retry failed webhooks with backoff.
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * attempt)));
    }
    throw new Error(`the webhook was not accepted after ${attempts} attempts: ${last}`);
  }

  /** A customer's message to the business number; resolves once the bridge acknowledged it. */
  async sendMessage(senderId: string, message: InboundSpec, attempts = 20): Promise<string> {
    const id = message.id ?? this.newMessageId('MO');
    await this.post(
      senderId,
      { messages: [{ ...message, id, timestamp: message.timestamp ?? Date.now() }] },
      attempts,
    );
    return id;
  }

  async sendStatus(
    senderId: string,
    id: string,
    status: DeliveryStatus,
    error?: { code: string; message: string },
  ): Promise<void> {
    await this.post(
      senderId,
      { statuses: [{ id, status, timestamp: Date.now(), ...(error ? { error } : {}) }] },
      20,
    );
  }

  /** Downloads a media URL the bridge gave, as the carrier would. */
  async fetchMedia(url: string): Promise<{ status: number; type: string | null; data: Buffer }> {
    this.mediaFetches.push(url);
    const res = await fetch(url);
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      data: Buffer.from(await res.arrayBuffer()),
    };
  }

  /** Waits until `count` messages match, and returns them. */
  async waitForMessages(
    count: number,
    predicate: (m: ReceivedMessage) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.filter(predicate);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `phone simulator: waited ${timeoutMs} ms for ${count} messages, have ${found.length}: ` +
            JSON.stringify(found.slice(-5).map((m) => m.text ?? m.template ?? m.media)),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
