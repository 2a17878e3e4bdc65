import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/*
 * A fake phone network behind the simulator provider (bridge/providers/simulator): it receives the
 * bridge's signed sends the way the simulator contract says (201 {id, status}; errors
 * {error: {code, message}}), honours idempotency keys like a careful carrier, fails on demand, and
 * posts signed inbound messages and delivery statuses to the bridge's webhook, retrying like a
 * carrier until it gets a 2xx.
 */

export type Fault =
  | { type: 'http'; status: number; body?: 'json' | 'html' }
  | { type: 'throttle'; retryAfterSeconds?: number }
  | { type: 'reject'; code: string; message?: string; status?: number }
  | { type: 'hang' }
  | { type: 'reset' };

export interface ReceivedMessage {
  id: string;
  senderId: string;
  to: string;
  from: string;
  channel: string;
  text?: string;
  media?: { mimeType: string; url?: string; dataBase64?: string; filename?: string; caption?: string };
  template?: { name: string; language: string; parameters: string[] };
  interactive?: unknown;
  statusCallbackUrl?: string;
  idempotencyKey: string;
  receivedAt: number;
}

export interface InboundSpec {
  id?: string;
  from: string;
  profileName?: string;
  text?: string;
  media?: { url: string; mimeType?: string; filename?: string; caption?: string }[];
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  reply?: { id: string; title: string };
  timestamp?: number;
}

function signature(secret: string, body: string | Buffer): string {
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

export class FakePhone {
  readonly url: string;
  /** Every message accepted, once per idempotency key, in the order accepted. */
  readonly messages: ReceivedMessage[] = [];
  /** Every send request that reached the phone, failed ones included. */
  readonly attempts: { idempotencyKey: string; outcome: string }[] = [];
  readonly reads: { senderId: string; messageId: string }[] = [];
  readonly mediaFetches: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly secrets = new Map<string, string>();
  private readonly byKey = new Map<string, ReceivedMessage>();
  private readonly files = new Map<string, { data: Buffer; mimeType: string }>();
  private readonly queued: Fault[] = [];
  private random: { rate: number; faults: Fault[]; next: () => number } | undefined;
  private webhookBase = '';
  private counter = 0;
  private readonly hanging = new Set<ServerResponse>();

  private constructor(server: Server, url: string) {
    this.server = server;
    this.url = url;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<FakePhone> {
    const holder: { phone?: FakePhone } = {};
    const server = createServer((req, res) => {
      holder.phone!.route(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    holder.phone = new FakePhone(server, `http://127.0.0.1:${port}`);
    return holder.phone;
  }

  /** Where inbound webhooks go: the bridge's publicUrl. */
  setWebhookBase(url: string): void {
    this.webhookBase = url.replace(/\/$/, '');
  }

  addSender(senderId: string, secret: string): void {
    this.secrets.set(senderId, secret);
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

  /** A file the phone serves for inbound media, at the returned URL. */
  addFile(name: string, data: Buffer, mimeType: string): string {
    this.files.set(name, { data, mimeType });
    return `${this.url}/files/${encodeURIComponent(name)}`;
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  private json(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private nextFault(): Fault | undefined {
    if (this.queued.length > 0) return this.queued.shift();
    if (this.random && this.random.next() < this.random.rate) {
      const { faults, next } = this.random;
      return faults[Math.floor(next() * faults.length)];
    }
    return undefined;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const file = /^\/files\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && file) {
      // The simulator signs the media URL itself.
      const secret = [...this.secrets.values()][0] ?? '';
      const given = String(req.headers['x-simulator-signature'] ?? '');
      if (!safeEqual(given, signature(secret, `${this.url}${url.pathname}`))) return this.json(res, 401, {});
      const found = this.files.get(decodeURIComponent(file[1]!));
      if (!found) return this.json(res, 404, { error: { code: 'rejected', message: 'no such file' } });
      res.writeHead(200, { 'content-type': found.mimeType, 'content-length': String(found.data.length) });
      res.end(found.data);
      return;
    }
    const api = /^\/api\/senders\/([^/]+)\/(messages|read)$/.exec(url.pathname);
    if (req.method !== 'POST' || !api)
      return this.json(res, 404, { error: { code: 'rejected', message: 'not found' } });
    const senderId = decodeURIComponent(api[1]!);
    const raw = await this.body(req);
    const secret = this.secrets.get(senderId);
    const given = String(req.headers['x-simulator-signature'] ?? '');
    if (!secret || !safeEqual(given, signature(secret, raw))) {
      return this.json(res, 401, { error: { code: 'auth', message: 'bad signature' } });
    }
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    if (api[2] === 'read') {
      this.reads.push({ senderId, messageId: String(body.messageId) });
      return this.json(res, 200, {});
    }
    const key = String(body.idempotencyKey);
    const fault = this.nextFault();
    this.attempts.push({ idempotencyKey: key, outcome: fault ? fault.type : 'accepted' });
    if (fault) return this.fail(req, res, fault);
    let message = this.byKey.get(key);
    if (!message) {
      message = {
        ...(body as unknown as ReceivedMessage),
        id: `SM${(++this.counter).toString().padStart(6, '0')}${randomBytes(4).toString('hex')}`,
        senderId,
        receivedAt: Date.now(),
      };
      this.byKey.set(key, message);
      this.messages.push(message);
    }
    this.json(res, 201, { id: message.id, status: 'queued' });
  }

  private fail(req: IncomingMessage, res: ServerResponse, fault: Fault): void {
    switch (fault.type) {
      case 'http':
        if (fault.body === 'html') {
          res.writeHead(fault.status, { 'content-type': 'text/html' });
          res.end('<html><body><h1>Service Unavailable</h1></body></html>');
        } else {
          this.json(res, fault.status, { error: { code: 'unavailable', message: `HTTP ${fault.status}` } });
        }
        return;
      case 'throttle':
        this.json(
          res,
          429,
          { error: { code: 'throttled', message: 'too many requests' } },
          fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
        );
        return;
      case 'reject':
        this.json(res, fault.status ?? 400, {
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
    const secret = this.secrets.get(senderId);
    if (!secret) throw new Error(`fake phone: unknown sender ${senderId}`);
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
    throw new Error(`fake phone: the webhook was not accepted after ${attempts} attempts: ${last}`);
  }

  /** A customer's message to the business number; resolves once the bridge acknowledged it. */
  async sendMessage(senderId: string, message: InboundSpec, attempts = 20): Promise<string> {
    const id = message.id ?? `MO${randomBytes(8).toString('hex')}`;
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
    status: string,
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
          `fake phone: waited ${timeoutMs} ms for ${count} messages, have ${found.length}: ` +
            JSON.stringify(found.slice(-5).map((m) => m.text ?? m.template ?? m.media)),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
