import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FakeServer,
  Faults,
  postWebhook,
  randomHex,
  respondWithFault,
  sendJson,
  shuffled,
  waitFor,
  type FailRateOptions,
  type FaultBodies,
  type FaultRule,
  type RecordedRequest,
  type WebhookResult,
} from './http.ts';
import { validateSend } from './meta-validation.ts';

/*
 * A local Meta WhatsApp Business Cloud API (Graph API), following the documented contract: bearer
 * auth, JSON bodies, errors {error: {message, type, code, error_subcode, fbtrace_id}}, webhooks
 * signed with X-Hub-Signature-256 over the exact bytes, non-ASCII escaped as \uXXXX like Meta.
 *
 *   const meta = await MetaFake.start();
 *   config.providers.whatsappCloud.baseUrl = meta.baseUrl;       // any vNN.N version is served
 *   sender.credentials = meta.credentials();                       // {phoneNumberId, accessToken, appSecret, verifyToken}
 *   await meta.subscribe(webhookUrl);                              // the GET hub.challenge handshake; sets meta.webhookUrl
 *
 * The customer and the network:
 *   await meta.inbound({ from: '+14155550100', name: 'Ana', text: 'Hi' });
 *   await meta.inbound([{ from, text: 'a' }, { from, media: { kind: 'image', data, mimeType: 'image/jpeg' } }],
 *                      { batch: 'entries' });                       // one POST, several entries
 *   await meta.inbound({ userId: 'US.1349…', name: 'Bo', text: 'no phone number' });
 *   await meta.inbound({ from, raw: { type: 'order', order: {…} } }); // any message object
 *   await meta.post(payload, { signature: null })                 // any payload, signed unless told
 *   const [sent] = await meta.waitForSent(1);                      // parsed JSON of what the bridge sent
 *   await meta.deliver(sent.id, { duplicate: true, shuffleSeed: 3 }); // sent→delivered→read (or failed)
 *   await meta.status(sent.id, 'failed', { errors: [{ code: 131026 }] });
 *
 * Faults (see http.ts): meta.fail({ route: 'send', kind: 'error', code: 131047 }), kinds 5xx-html,
 *   5xx-json, 429, hang, reset, malformed-json; meta.failRate(0.3, seed). Routes: 'send', 'read'
 *   (mark as read), 'upload', 'media' (id → url), 'download' (the url).
 *
 * Behaviour as Meta documents it:
 *   - 401 + code 190 without the right bearer token; 400 + code 100 for another phone number id;
 *   - 400 + code 100 / 131009 for missing or invalid fields (text over 4096, 0 or >3 buttons, titles
 *     over 20, rows over 10 or titles over 24, descriptions over 72, no media id/link…);
 *   - 200 {messaging_product, contacts: [{input, wa_id}], messages: [{id: 'wamid.…'}]};
 *   - free-form messages to a customer who has not written in 24 hours are accepted, then fail with
 *     131047 in their statuses (enforceWindow: false turns this off); templates always pass;
 *   - media: GET /{version}/{id} → {url, mime_type, sha256, file_size, id}, and the url needs the
 *     bearer token too; uploads are multipart (messaging_product, type, file) → {id}.
 */

export type MetaRoute = 'send' | 'read' | 'upload' | 'media' | 'download';
export type MetaStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface MetaFakeOptions {
  accessToken?: string;
  appSecret?: string;
  verifyToken?: string;
  phoneNumberId?: string;
  /** The business number as Meta writes it (digits, no +). */
  displayPhoneNumber?: string;
  /** WhatsApp 24-hour customer-care window (default true). */
  enforceWindow?: boolean;
  now?: () => number;
}

export interface MetaSentMessage {
  id: string;
  /** `to` (digits) or `recipient` (business-scoped user id), as sent. */
  to: string;
  type: string;
  /** The JSON body as received. */
  body: Record<string, unknown>;
  /** The failure its statuses will report (outside the window). */
  failure?: { code: number; title: string; message: string };
  at: Date;
}

export interface MetaUpload {
  id: string;
  type: string;
  filename: string | undefined;
  data: Buffer;
}

export interface MetaInbound {
  /** The customer's phone number (E.164 or digits); omit for a username-only user. */
  from?: string;
  /** Business-scoped user id (contacts[].user_id). */
  userId?: string;
  /** contacts[].profile.name */
  name?: string;
  /** wamid; generated when omitted. */
  id?: string;
  /** Unix seconds; now when omitted. */
  timestamp?: number;
  /** The message this one replies to (context.id). */
  replyTo?: string;
  text?: string;
  /** Bytes hosted by the fake: the message carries the media id. */
  media?: {
    kind: 'image' | 'audio' | 'video' | 'document' | 'sticker';
    data: Buffer;
    mimeType: string;
    caption?: string;
    filename?: string;
  };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  buttonReply?: { id: string; title: string };
  listReply?: { id: string; title: string; description?: string };
  button?: { payload: string; text: string };
  reaction?: { messageId: string; emoji: string };
  /** Any other message fields (e.g. {type: 'order', order: {…}}), merged last. */
  raw?: Record<string, unknown>;
}

export interface MetaPostOptions {
  /** Where to post (default: the subscribed webhookUrl). */
  url?: string;
  /** Replace the signature header; null sends none. */
  signature?: string | null;
  /** Sign with another secret. */
  appSecret?: string;
}

/** JSON as Meta writes it: every non-ASCII UTF-16 unit escaped as \uXXXX. */
export function metaJson(payload: unknown): string {
  return JSON.stringify(payload).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function metaSignature(appSecret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

const ERRORS: Record<number, { status: number; type: string; message: string; subcode?: number }> = {
  1: { status: 500, type: 'OAuthException', message: 'An unknown error has occurred.' },
  100: { status: 400, type: 'OAuthException', message: '(#100) Invalid parameter' },
  190: {
    status: 401,
    type: 'OAuthException',
    message: 'Invalid OAuth access token - Cannot parse access token',
  },
  130429: { status: 400, type: 'OAuthException', message: '(#130429) Rate limit hit' },
  131009: { status: 400, type: 'OAuthException', message: '(#131009) Parameter value is not valid' },
  131026: { status: 400, type: 'OAuthException', message: '(#131026) Message undeliverable' },
  131047: {
    status: 400,
    type: 'OAuthException',
    message:
      '(#131047) Re-engagement message: more than 24 hours have passed since the recipient last replied',
  },
  131051: { status: 400, type: 'OAuthException', message: '(#131051) Unsupported message type' },
  131056: {
    status: 400,
    type: 'OAuthException',
    message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
  },
};

export function metaErrorBody(code: number, message?: string) {
  const known = ERRORS[code];
  return {
    error: {
      message: message ?? known?.message ?? `(#${code}) Error`,
      type: known?.type ?? 'OAuthException',
      code,
      ...(known?.subcode ? { error_subcode: known.subcode } : {}),
      fbtrace_id: `A${randomHex(11)}`,
    },
  };
}

function wamid(): string {
  return `wamid.${Buffer.from(randomHex(24), 'hex').toString('base64')}`;
}

export class MetaFake {
  readonly accessToken: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly phoneNumberId: string;
  readonly displayPhoneNumber: string;
  readonly wabaId = String(100_000_000_000_000 + Math.floor(Math.random() * 1e14));
  readonly sent: MetaSentMessage[] = [];
  /** Message ids the bridge marked as read. */
  readonly reads: string[] = [];
  readonly uploads: MetaUpload[] = [];
  readonly requests: RecordedRequest<MetaRoute>[] = [];
  /** Where webhooks go: set by subscribe(), or directly. */
  webhookUrl: string | undefined;
  private readonly faults = new Faults<MetaRoute>();
  private readonly lastInbound = new Map<string, number>();
  private readonly media = new Map<string, { data: Buffer; mimeType: string; token: string }>();
  private readonly server: FakeServer;
  private readonly enforceWindow: boolean;
  private readonly now: () => number;

  private constructor(options: MetaFakeOptions) {
    this.accessToken = options.accessToken ?? `EAAG${randomHex(24)}`;
    this.appSecret = options.appSecret ?? randomHex(16);
    this.verifyToken = options.verifyToken ?? `verify-${randomHex(8)}`;
    this.phoneNumberId =
      options.phoneNumberId ?? String(100_000_000_000_000 + Math.floor(Math.random() * 1e14));
    this.displayPhoneNumber = options.displayPhoneNumber ?? '15550001111';
    this.enforceWindow = options.enforceWindow ?? true;
    this.now = options.now ?? Date.now;
    this.server = new FakeServer((req, res, body) => this.handle(req, res, body));
  }

  static async start(options: MetaFakeOptions = {}): Promise<MetaFake> {
    const fake = new MetaFake(options);
    await fake.server.listen();
    return fake;
  }

  /** The Graph API base URL: set it as providers.whatsappCloud.baseUrl. */
  get baseUrl(): string {
    return this.server.baseUrl;
  }

  credentials(): { phoneNumberId: string; accessToken: string; appSecret: string; verifyToken: string } {
    return {
      phoneNumberId: this.phoneNumberId,
      accessToken: this.accessToken,
      appSecret: this.appSecret,
      verifyToken: this.verifyToken,
    };
  }

  fail(rule: FaultRule<MetaRoute>): void {
    this.faults.add(rule);
  }

  failRate(rate: number, seed: number, options?: FailRateOptions<MetaRoute>): void {
    this.faults.setRate(rate, seed, options);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The verification request Meta makes when a webhook URL is saved; on 200 + challenge, subscribes. */
  async subscribe(
    url: string,
    options: { verifyToken?: string } = {},
  ): Promise<WebhookResult & { ok: boolean }> {
    const challenge = String(Math.floor(Math.random() * 1e9));
    const query = new URLSearchParams({
      'hub.mode': 'subscribe',
      'hub.verify_token': options.verifyToken ?? this.verifyToken,
      'hub.challenge': challenge,
    });
    const result = await postWebhook(`${url}${url.includes('?') ? '&' : '?'}${query}`, '', {}, 'GET');
    const ok = result.status === 200 && result.body === challenge;
    if (ok) this.webhookUrl = url;
    return { ...result, ok };
  }

  /** Hosts bytes as a WhatsApp media id. */
  hostMedia(data: Buffer, mimeType: string): string {
    const id = String(1_000_000_000_000_000 + Math.floor(Math.random() * 1e15));
    this.media.set(id, { data, mimeType, token: randomHex(12) });
    return id;
  }

  /** Posts any payload as a signed webhook. */
  async post(payload: unknown, options: MetaPostOptions = {}): Promise<WebhookResult> {
    const url = options.url ?? this.webhookUrl;
    if (!url) throw new Error('no webhook URL: call subscribe(url) or pass options.url');
    const body = typeof payload === 'string' ? payload : metaJson(payload);
    const signature =
      options.signature === undefined
        ? metaSignature(options.appSecret ?? this.appSecret, body)
        : options.signature;
    return postWebhook(url, body, {
      'content-type': 'application/json',
      'user-agent': 'facebookexternalua',
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    });
  }

  /** A change value (`entry[].changes[].value`) carrying these messages and their contacts. */
  messagesValue(messages: MetaInbound[]): Record<string, unknown> {
    const contacts: Record<string, unknown>[] = [];
    const built = messages.map((m) => {
      const waId = m.from?.replace(/^\+/, '');
      if (waId) this.lastInbound.set(waId, this.now());
      if (m.userId) this.lastInbound.set(m.userId, this.now());
      if (!contacts.some((c) => (waId && c.wa_id === waId) || (m.userId && c.user_id === m.userId))) {
        contacts.push({
          profile: { name: m.name ?? '' },
          ...(waId ? { wa_id: waId } : {}),
          ...(m.userId ? { user_id: m.userId } : {}),
        });
      }
      return this.messageObject({ ...m, id: m.id ?? wamid() }, waId);
    });
    return {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: this.displayPhoneNumber, phone_number_id: this.phoneNumberId },
      contacts,
      messages: built,
    };
  }

  /**
   * Customer messages as one signed POST. batch: 'messages' (default: one change, several
   * messages), 'changes' (one entry, a change each) or 'entries' (an entry each). Opens the window.
   */
  async inbound(
    messages: MetaInbound | MetaInbound[],
    options: MetaPostOptions & { batch?: 'messages' | 'changes' | 'entries' } = {},
  ): Promise<WebhookResult & { ids: string[]; payload: Record<string, unknown> }> {
    const list = (Array.isArray(messages) ? messages : [messages]).map((m) => ({
      ...m,
      id: m.id ?? wamid(),
    }));
    const batch = options.batch ?? 'messages';
    const change = (value: Record<string, unknown>) => ({ field: 'messages', value });
    const entry =
      batch === 'messages'
        ? [{ id: this.wabaId, changes: [change(this.messagesValue(list))] }]
        : batch === 'changes'
          ? [{ id: this.wabaId, changes: list.map((m) => change(this.messagesValue([m]))) }]
          : list.map((m) => ({ id: this.wabaId, changes: [change(this.messagesValue([m]))] }));
    const payload = { object: 'whatsapp_business_account', entry };
    const result = await this.post(payload, options);
    return { ...result, ids: list.map((m) => m.id), payload };
  }

  /** One signed status webhook for a message the bridge sent. */
  async status(
    id: string,
    status: MetaStatus,
    options: MetaPostOptions & { errors?: { code: number; title?: string; message?: string }[] } = {},
  ): Promise<WebhookResult> {
    const message = this.sent.find((m) => m.id === id);
    const recipient = message?.to ?? '';
    const opaque = message?.body.biz_opaque_callback_data;
    const errors =
      options.errors ?? (status === 'failed' && message?.failure ? [message.failure] : undefined);
    const value = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: this.displayPhoneNumber, phone_number_id: this.phoneNumberId },
      statuses: [
        {
          id,
          status,
          timestamp: String(Math.floor(this.now() / 1000)),
          recipient_id: recipient,
          ...(typeof opaque === 'string' ? { biz_opaque_callback_data: opaque } : {}),
          ...(status !== 'failed'
            ? {
                pricing: {
                  billable: true,
                  pricing_model: 'PMP',
                  category: 'service',
                  type: 'free_customer_service',
                },
              }
            : {}),
          ...(errors
            ? {
                errors: errors.map((e) => ({
                  code: e.code,
                  title: e.title ?? ERRORS[e.code]?.message.replace(/^\(#\d+\) /, '') ?? `Error ${e.code}`,
                  message:
                    e.message ?? ERRORS[e.code]?.message.replace(/^\(#\d+\) /, '') ?? `Error ${e.code}`,
                  error_data: { details: e.message ?? 'See the error code' },
                })),
              }
            : {}),
        },
      ],
    };
    return this.post(
      {
        object: 'whatsapp_business_account',
        entry: [{ id: this.wabaId, changes: [{ field: 'messages', value }] }],
      },
      options,
    );
  }

  /** sent→delivered→read, or failed with the message's failure; `duplicate`, `shuffleSeed` as for Twilio. */
  async deliver(
    id: string,
    options: MetaPostOptions & { statuses?: MetaStatus[]; duplicate?: boolean; shuffleSeed?: number } = {},
  ): Promise<WebhookResult[]> {
    const message = this.sent.find((m) => m.id === id);
    const statuses: MetaStatus[] =
      options.statuses ?? (message?.failure ? ['failed'] : ['sent', 'delivered', 'read']);
    let sequence = options.duplicate ? statuses.flatMap((s) => [s, s]) : statuses;
    if (options.shuffleSeed !== undefined) sequence = shuffled(sequence, options.shuffleSeed);
    const results: WebhookResult[] = [];
    for (const status of sequence) results.push(await this.status(id, status, options));
    return results;
  }

  waitForSent(count: number, timeoutMs = 10_000): Promise<MetaSentMessage[]> {
    return waitFor(
      () => (this.sent.length >= count ? this.sent.slice(0, count) : undefined),
      timeoutMs,
      `${count} sent message(s)`,
    );
  }

  /** Forgets sends, reads, uploads, requests, faults and windows (not hosted media). */
  reset(): void {
    this.sent.length = 0;
    this.reads.length = 0;
    this.uploads.length = 0;
    this.requests.length = 0;
    this.faults.clear();
    this.lastInbound.clear();
  }

  stop(): Promise<void> {
    return this.server.close();
  }

  private messageObject(m: MetaInbound & { id: string }, waId: string | undefined): Record<string, unknown> {
    const base: Record<string, unknown> = {
      ...(waId ? { from: waId } : {}),
      ...(m.userId && !waId ? { from_user_id: m.userId } : {}),
      id: m.id,
      timestamp: String(m.timestamp ?? Math.floor(this.now() / 1000)),
      ...(m.replyTo ? { context: { from: this.displayPhoneNumber, id: m.replyTo } } : {}),
    };
    if (m.text !== undefined) Object.assign(base, { type: 'text', text: { body: m.text } });
    if (m.media) {
      const id = this.hostMedia(m.media.data, m.media.mimeType);
      Object.assign(base, {
        type: m.media.kind,
        [m.media.kind]: {
          id,
          mime_type: m.media.mimeType,
          sha256: createHash('sha256').update(m.media.data).digest('base64'),
          ...(m.media.caption ? { caption: m.media.caption } : {}),
          ...(m.media.filename ? { filename: m.media.filename } : {}),
        },
      });
    }
    if (m.location) Object.assign(base, { type: 'location', location: m.location });
    if (m.buttonReply)
      Object.assign(base, {
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: m.buttonReply },
      });
    if (m.listReply)
      Object.assign(base, {
        type: 'interactive',
        interactive: { type: 'list_reply', list_reply: m.listReply },
      });
    if (m.button) Object.assign(base, { type: 'button', button: m.button });
    if (m.reaction)
      Object.assign(base, {
        type: 'reaction',
        reaction: { message_id: m.reaction.messageId, emoji: m.reaction.emoji },
      });
    return { ...base, ...m.raw };
  }

  private readonly bodies: FaultBodies = {
    serverError: () => metaErrorBody(1),
    throttled: () => metaErrorBody(130429),
    error: (code) => ({ status: ERRORS[code]?.status ?? 400, body: metaErrorBody(code) }),
    successStatus: 200,
  };

  private error(res: ServerResponse, code: number, message?: string): void {
    sendJson(
      res,
      ERRORS[code]?.status ?? 400,
      metaErrorBody(code, message),
      code === 190 ? { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token"' } : {},
    );
  }

  private route(method: string, parts: string[], body: Buffer): MetaRoute | 'unknown' {
    const versioned = /^v\d+\.\d+$/.test(parts[0] ?? '');
    if (parts[0] === 'media-download' && parts.length === 2 && method === 'GET') return 'download';
    if (!versioned) return 'unknown';
    if (parts.length === 2 && method === 'GET') return 'media';
    if (parts.length === 3 && method === 'POST' && parts[2] === 'media') return 'upload';
    if (parts.length === 3 && method === 'POST' && parts[2] === 'messages') {
      try {
        return (JSON.parse(body.toString('utf8')) as { status?: unknown }).status === 'read'
          ? 'read'
          : 'send';
      } catch {
        return 'send';
      }
    }
    return 'unknown';
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const route = this.route(method, parts, body);
    const record: RecordedRequest<MetaRoute> = {
      route,
      method,
      path: req.url ?? '/',
      headers: req.headers,
      body,
      at: new Date(),
    };
    this.requests.push(record);
    if (route === 'unknown') {
      return this.error(
        res,
        100,
        `Unsupported ${method.toLowerCase()} request. Please read the Graph API documentation`,
      );
    }
    const fault = this.faults.next(route);
    if (fault && !fault.afterAccept) {
      record.fault = fault.kind;
      return respondWithFault(fault, req, res, this.bodies);
    }
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) return this.error(res, 190);

    if (route === 'download') {
      const hosted = this.media.get(parts[1]!);
      if (!hosted || url.searchParams.get('token') !== hosted.token)
        return this.error(res, 100, 'Media not found');
      res.writeHead(200, { 'content-type': hosted.mimeType, 'content-length': String(hosted.data.length) });
      res.end(hosted.data);
      return;
    }
    if (route === 'media') {
      const hosted = this.media.get(parts[1]!);
      if (!hosted)
        return this.error(res, 100, `Unsupported get request. Object with ID '${parts[1]}' does not exist`);
      return sendJson(res, 200, {
        messaging_product: 'whatsapp',
        url: `${this.baseUrl}/media-download/${parts[1]}?token=${hosted.token}`,
        mime_type: hosted.mimeType,
        sha256: createHash('sha256').update(hosted.data).digest('hex'),
        file_size: hosted.data.length,
        id: parts[1],
      });
    }
    if (parts[1] !== this.phoneNumberId) {
      return this.error(
        res,
        100,
        `Unsupported post request. Object with ID '${parts[1]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
      );
    }
    if (route === 'upload') return this.upload(req, res, body);

    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return this.error(res, 100, '(#100) The request body is not valid JSON');
    }
    if (route === 'read') {
      if (json.messaging_product !== 'whatsapp')
        return this.error(res, 100, '(#100) The parameter messaging_product is required.');
      if (typeof json.message_id !== 'string')
        return this.error(res, 100, '(#100) The parameter message_id is required.');
      this.reads.push(json.message_id);
      return sendJson(res, 200, { success: true });
    }
    const invalid = validateSend(json, (id) => this.media.has(id));
    if (invalid) return this.error(res, invalid.code, invalid.message);
    const to = String(json.to ?? json.recipient);
    const key = to.replace(/^\+/, '');
    const last = this.lastInbound.get(key);
    const windowOpen = last !== undefined && this.now() - last < 24 * 3600_000;
    const message: MetaSentMessage = {
      id: wamid(),
      to,
      type: String(json.type),
      body: json,
      ...(this.enforceWindow && json.type !== 'template' && !windowOpen
        ? { failure: { code: 131047, title: 'Re-engagement message', message: 'Re-engagement message' } }
        : {}),
      at: new Date(),
    };
    this.sent.push(message);
    if (fault) {
      record.fault = fault.kind;
      return respondWithFault(fault, req, res, this.bodies);
    }
    sendJson(res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, ...(/^\+?\d+$/.test(to) ? { wa_id: key } : { user_id: to }) }],
      messages: [{ id: message.id, ...(json.type === 'template' ? { message_status: 'accepted' } : {}) }],
    });
  }

  private async upload(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    let form: FormData;
    try {
      form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: new Uint8Array(body),
      }).formData();
    } catch {
      return this.error(res, 100, '(#100) The upload must be multipart/form-data');
    }
    if (form.get('messaging_product') !== 'whatsapp')
      return this.error(res, 100, '(#100) The parameter messaging_product is required.');
    const file = form.get('file');
    if (!(file instanceof Blob)) return this.error(res, 100, '(#100) The parameter file is required.');
    const type = String(form.get('type') ?? file.type);
    const data = Buffer.from(await file.arrayBuffer());
    const id = this.hostMedia(data, type);
    this.uploads.push({ id, type, filename: file instanceof File ? file.name : undefined, data });
    sendJson(res, 200, { id });
  }
}
