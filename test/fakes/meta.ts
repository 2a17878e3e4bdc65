import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FakeServer,
  Faults,
  postWebhook,
  randomHex,
  recordRequest,
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
import {
  ERRORS,
  messageObject,
  metaErrorBody,
  metaJson,
  metaRoute,
  metaSignature,
  sendMetaError,
  statusObject,
  wamid,
  type MetaInbound,
  type MetaRoute,
  type MetaSentMessage,
  type MetaStatus,
  type MetaUpload,
} from './meta-contract.ts';
import { MetaMediaStore } from './meta-media.ts';
import { MetaSendRules } from './meta-sends.ts';

export {
  metaErrorBody,
  metaJson,
  metaSignature,
  type MetaInbound,
  type MetaRoute,
  type MetaSentMessage,
  type MetaStatus,
  type MetaUpload,
} from './meta-contract.ts';
export type { FaultRule, WebhookResult } from './http.ts';

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

export interface MetaPostOptions {
  /** Where to post (default: the subscribed webhookUrl). */
  url?: string;
  /** Replace the signature header; null sends none. */
  signature?: string | null;
  /** Sign with another secret. */
  appSecret?: string;
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
  private readonly media = new MetaMediaStore();
  private readonly rules: MetaSendRules;
  private readonly server: FakeServer;
  private readonly now: () => number;

  private constructor(options: MetaFakeOptions) {
    this.accessToken = options.accessToken ?? `EAAG${randomHex(24)}`;
    this.appSecret = options.appSecret ?? randomHex(16);
    this.verifyToken = options.verifyToken ?? `verify-${randomHex(8)}`;
    this.phoneNumberId =
      options.phoneNumberId ?? String(100_000_000_000_000 + Math.floor(Math.random() * 1e14));
    this.displayPhoneNumber = options.displayPhoneNumber ?? '15550001111';
    this.now = options.now ?? Date.now;
    this.rules = new MetaSendRules({ enforceWindow: options.enforceWindow ?? true, now: this.now });
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
    return this.media.host(data, mimeType);
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
      if (waId) this.rules.received(waId);
      if (m.userId) this.rules.received(m.userId);
      if (!contacts.some((c) => (waId && c.wa_id === waId) || (m.userId && c.user_id === m.userId))) {
        contacts.push({
          profile: { name: m.name ?? '' },
          ...(waId ? { wa_id: waId } : {}),
          ...(m.userId ? { user_id: m.userId } : {}),
        });
      }
      return messageObject({ ...m, id: m.id ?? wamid() }, waId, {
        now: this.now(),
        displayPhoneNumber: this.displayPhoneNumber,
        host: (data, type) => this.hostMedia(data, type),
      });
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
    const errors =
      options.errors ?? (status === 'failed' && message?.failure ? [message.failure] : undefined);
    const value = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: this.displayPhoneNumber, phone_number_id: this.phoneNumberId },
      statuses: [statusObject(id, status, this.now(), message, errors)],
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
    this.rules.clear();
  }

  stop(): Promise<void> {
    return this.server.close();
  }

  private readonly bodies: FaultBodies = {
    serverError: () => metaErrorBody(1),
    throttled: () => metaErrorBody(130429),
    error: (code) => ({ status: ERRORS[code]?.status ?? 400, body: metaErrorBody(code) }),
    successStatus: 200,
  };

  private async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const route = metaRoute(method, parts, body);
    const record = recordRequest(route, req, body);
    this.requests.push(record);
    if (route === 'unknown') {
      return sendMetaError(
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
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) return sendMetaError(res, 190);

    if (route === 'download') return this.media.answerDownload(res, parts[1]!, url.searchParams.get('token'));
    if (route === 'media') return this.media.answerLookup(res, parts[1]!, this.baseUrl);
    if (parts[1] !== this.phoneNumberId) {
      return sendMetaError(
        res,
        100,
        `Unsupported post request. Object with ID '${parts[1]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
      );
    }
    if (route === 'upload') {
      const upload = await this.media.upload(req.headers['content-type'], body);
      if ('error' in upload) return sendMetaError(res, 100, upload.error);
      this.uploads.push(upload);
      return sendJson(res, 200, { id: upload.id });
    }

    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return sendMetaError(res, 100, '(#100) The request body is not valid JSON');
    }
    if (route === 'read') {
      if (json.messaging_product !== 'whatsapp')
        return sendMetaError(res, 100, '(#100) The parameter messaging_product is required.');
      if (typeof json.message_id !== 'string')
        return sendMetaError(res, 100, '(#100) The parameter message_id is required.');
      this.reads.push(json.message_id);
      return sendJson(res, 200, { success: true });
    }
    const decision = this.rules.accept(json, (id) => this.media.has(id));
    if ('code' in decision) return sendMetaError(res, decision.code, decision.message);
    this.sent.push(decision.accepted);
    if (fault) {
      record.fault = fault.kind;
      return respondWithFault(fault, req, res, this.bodies);
    }
    sendJson(res, 200, decision.response);
  }
}
