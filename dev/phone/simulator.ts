import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errorInfo, logger } from '../../bridge/log.ts';
import { Carrier, sendJson, type DeliveryStatus, type InboundSpec } from './carrier.ts';
import { canonicalNumber, PhoneHistory, type PhoneMessage } from './history.ts';
import { pageRoutes } from './routes.ts';

/*
 * The phone simulator: the carrier of the `simulator` provider on a real HTTP server, and (for the
 * dev stack) the web page where a person plays the customers. Tests start it bare (FakePhone: no
 * page, statuses only when the test sends them); the dev stack adds the page and behaves like a
 * phone on its own: "sent" once the carrier took a message, "delivered" when a page shows it,
 * "read" (WhatsApp only) when it is on screen in an open conversation.
 */

const log = logger('dev.phone');

export interface PhoneSimulatorOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Serve the phone page at / (default false). */
  page?: boolean;
  /** Send delivery statuses like a real phone (default: with the page). */
  autoStatuses?: boolean;
  /** Keep the history and media here across restarts. */
  dataDir?: string;
  /** The bridge's publicUrl (or later with setWebhookBase). */
  webhookBase?: string;
}

/** What the page (or a caller) sends as the customer. */
export interface CustomerMessage {
  senderId: string;
  from: string;
  profileName?: string;
  text?: string;
  /** A file already uploaded to the simulator (uploadMedia). */
  mediaKey?: string;
  filename?: string;
  reply?: { id: string; title: string };
  inReplyTo?: string;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
}

export class PhoneSimulator extends Carrier {
  readonly history: PhoneHistory;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly autoStatuses: boolean;
  private statusChain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<unknown>>();
  private stopping = false;

  private constructor(options: PhoneSimulatorOptions, history: PhoneHistory) {
    super();
    this.history = history;
    this.autoStatuses = options.autoStatuses ?? Boolean(options.page);
    if (options.webhookBase) this.setWebhookBase(options.webhookBase);
    const page = options.page ? pageRoutes(this) : undefined;
    this.server = createServer((req, res) => {
      (async () => {
        if (await this.handle(req, res)) return;
        if (page && (await page(req, res))) return;
        sendJson(res, 404, { error: { code: 'rejected', message: 'not found' } });
      })().catch((err: unknown) => {
        const status = (err as { status?: number }).status ?? 500;
        if (!res.headersSent) sendJson(res, status, { error: { code: 'rejected', message: String(err) } });
        else res.destroy();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.onEvent((event) => {
      if (event.type === 'read') {
        this.history.advance(event.messageId, 'read');
        return;
      }
      this.track(
        this.history.fromBusiness(event.message, 'queued').then((shown) => {
          if (!this.autoStatuses) return;
          // A carrier hands the message to the network a moment after accepting it.
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.postStatus(shown, 'sent');
          }, 300);
          this.timers.add(timer);
        }),
      );
    });
  }

  static async start(options: PhoneSimulatorOptions = {}): Promise<PhoneSimulator> {
    const history = new PhoneHistory(options.dataDir);
    await history.load();
    const phone = new PhoneSimulator(options, history);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      phone.server.once('error', reject);
      phone.server.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = phone.server.address() as AddressInfo;
    phone.url = `http://${host}:${port}`;
    // What the carrier knew before a restart: its message ids and the customers' files.
    for (const [key, id] of history.keys) phone.byKey.set(key, id);
    for (const [name, key] of history.files) {
      const media = await history.mediaData(key);
      if (media) phone.addFile(name, media.data, media.mimeType);
    }
    return phone;
  }

  /** The business numbers the page offers. */
  senderList(): { id: string; channel?: string; address?: string; label?: string }[] {
    return [...this.senders].map(([id, s]) => ({
      id,
      ...(s.channel ? { channel: s.channel } : {}),
      ...(s.address ? { address: s.address } : {}),
      ...(s.label ? { label: s.label } : {}),
    }));
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => {});
    return promise;
  }

  /** A file the customer attaches; returns its key for customerSends. */
  async uploadMedia(data: Buffer, mimeType: string): Promise<string> {
    return this.history.addMedia(data, mimeType);
  }

  /**
   * The customer sends a message from the page. It shows at once as "sending", then "delivered"
   * once the bridge acknowledged the webhook, or "failed" with the reason.
   */
  async customerSends(input: CustomerMessage): Promise<PhoneMessage> {
    if (!this.senders.has(input.senderId)) throw new Error(`unknown sender ${input.senderId}`);
    const from = canonicalNumber(input.from);
    const id = this.newMessageId('MO');
    const spec: InboundSpec = {
      id,
      from,
      ...(input.profileName ? { profileName: input.profileName } : {}),
      ...(input.text ? { text: input.text } : {}),
      ...(input.reply ? { reply: input.reply } : {}),
      ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
      ...(input.location ? { location: input.location } : {}),
    };
    let media: PhoneMessage['media'];
    if (input.mediaKey) {
      const stored = await this.history.mediaData(input.mediaKey);
      if (!stored) throw Object.assign(new Error(`no uploaded file ${input.mediaKey}`), { status: 400 });
      const filename = (input.filename ?? 'file').replace(/[^\w.-]+/g, '_').slice(0, 80) || 'file';
      const name = `${input.mediaKey}/${filename}`;
      this.history.files.set(name, input.mediaKey);
      const url = this.addFile(name, stored.data, stored.mimeType);
      spec.media = [{ url, mimeType: stored.mimeType, filename }];
      media = { href: `/page/media/${input.mediaKey}`, mimeType: stored.mimeType, filename };
    }
    const shown = this.history.put({
      id,
      senderId: input.senderId,
      customer: from,
      direction: 'mo',
      at: Date.now(),
      state: 'sending',
      ...(input.profileName ? { profileName: input.profileName } : {}),
      ...(input.text ? { text: input.text } : {}),
      ...(media ? { media } : {}),
      ...(input.reply ? { reply: input.reply } : {}),
      ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
      ...(input.location ? { location: input.location } : {}),
    });
    this.track(
      this.sendMessage(input.senderId, spec).then(
        () => this.history.advance(id, 'delivered'),
        (err: unknown) => {
          log.warn({ id, ...errorInfo(err) }, 'the bridge did not take a message from the phone page');
          this.history.advance(id, 'failed', err instanceof Error ? err.message : String(err));
        },
      ),
    );
    return shown;
  }

  /** A page showed these business messages: the phone has them. */
  delivered(ids: string[]): void {
    for (const id of ids) {
      const message = this.history.get(id);
      if (message?.direction === 'mt') this.postStatus(message, 'delivered');
    }
  }

  /** A page shows these business messages in an open conversation, on screen. */
  read(ids: string[]): void {
    for (const id of ids) {
      const message = this.history.get(id);
      if (message?.direction !== 'mt') continue;
      // SMS has no read receipts: the carrier reports delivery at most.
      const channel = this.senders.get(message.senderId)?.channel;
      this.postStatus(message, channel === 'whatsapp' ? 'read' : 'delivered');
    }
  }

  private postStatus(message: PhoneMessage, status: DeliveryStatus & ('sent' | 'delivered' | 'read')): void {
    if (!this.autoStatuses || this.stopping) return;
    // A page may show a message before the carrier's "sent": that one still comes first.
    if (status !== 'sent' && this.history.get(message.id)?.state === 'queued')
      this.postStatus(message, 'sent');
    // Statuses leave in order (sent before delivered before read) and only forward.
    if (!this.history.advance(message.id, status)) return;
    this.statusChain = this.statusChain.then(() =>
      this.sendStatus(message.senderId, message.id, status).catch((err: unknown) =>
        log.warn({ id: message.id, status, ...errorInfo(err) }, 'the bridge did not take a status'),
      ),
    );
    this.track(this.statusChain);
  }

  /** Tells the pages' open streams that the server is going away, then closes everything. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const res of this.hanging) res.destroy();
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    await this.history.flush();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
