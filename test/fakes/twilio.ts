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
  formEncode,
  inboundParams,
  messageResource,
  twilioErrorBody,
  twilioSignature,
  type TwilioInbound,
  type TwilioParams,
  type TwilioSentMessage,
  type TwilioStatus,
} from './twilio-contract.ts';
import { TwilioSendRules } from './twilio-sends.ts';

export {
  formEncode,
  twilioErrorBody,
  twilioSignature,
  type TwilioInbound,
  type TwilioParams,
  type TwilioSentMessage,
  type TwilioStatus,
} from './twilio-contract.ts';
export type { FaultRule, WebhookResult } from './http.ts';

/*
 * A local Twilio Programmable Messaging, following the documented contract: Basic auth, form
 * bodies, JSON answers and error bodies {code, message, more_info, status}, signed form webhooks.
 *
 *   const twilio = await TwilioFake.start();                    // random AC… SID and auth token
 *   config.providers.twilio.baseUrl = twilio.baseUrl;
 *   sender.credentials = twilio.credentials();                   // {accountSid, authToken}
 *
 * The customer and the network:
 *   await twilio.message(webhookUrl, { from: '+14155550100', to: '+15005550006', body: 'Hi' });
 *   await twilio.message(url, { from: 'whatsapp:+1415…', to: 'whatsapp:+1500…', profileName: 'Ana',
 *                               media: [{ data: jpegBytes, contentType: 'image/jpeg' }] });
 *   await twilio.inbound(url, params)                           // any signed form (raw parameters)
 *   const [sent] = await twilio.waitForSent(1);                  // what the bridge sent, parsed
 *   await twilio.deliver(sent.sid);                              // queued→sent→delivered(→read on WhatsApp)
 *   await twilio.deliver(sid, { duplicate: true, shuffleSeed: 7 }); // twice each, out of order
 *   await twilio.statusCallback(sid, 'failed', { errorCode: 63016 });
 *
 * Faults (see http.ts): twilio.fail({ route: 'send', kind: '429', retryAfter: 3, times: 2 }),
 *   twilio.fail({ route: 'send', kind: 'error', code: 21610 }), twilio.failRate(0.3, seed),
 *   twilio.clearFaults(). Routes: 'send', 'media' (the media URL), 'storage' (where it redirects).
 *
 * Behaviour as Twilio documents it:
 *   - 401 + 20003 on bad credentials or an Account SID that is not the caller's;
 *   - 400 21604/21603/21602 for a missing To / From-or-MessagingServiceSid / Body-MediaUrl-ContentSid,
 *     21211 for a To that is not a phone number, 21617 over 1600 characters, 21910 for mixed channels;
 *   - 201 {sid: 'SM' + 32 hex, status: 'queued' ('accepted' with a Messaging Service), num_segments
 *     (sms-segments-calculator), dates in RFC 2822};
 *   - an SMS STOP from a customer (via message()) opts them out: later sends get 21610 until START;
 *   - WhatsApp free-form sends to a customer who has not written in 24 hours are accepted and then
 *     fail with 63016 in their status callbacks (windowClosedAs: 'request' answers 400 63016 instead;
 *     enforceWindow: false turns the window off); ContentSid templates always pass;
 *   - media URLs need Basic auth and redirect (307) to a second server (another origin, no auth).
 */

export type TwilioRoute = 'send' | 'media' | 'storage';
export interface TwilioFakeOptions {
  accountSid?: string;
  authToken?: string;
  /** WhatsApp 24-hour customer-care window (default true). */
  enforceWindow?: boolean;
  /** How a send outside the window fails: a `failed` status callback (default) or a 400 on the request. */
  windowClosedAs?: 'status' | 'request';
  /** Clock for the window (default Date.now). */
  now?: () => number;
}

export interface SignOptions {
  /** The URL the signature covers, when it differs from where the request is posted (a proxy). */
  signedUrl?: string;
  /** Replace the signature (a forged or stale one); null sends none. */
  signature?: string | null;
  /** Sign with this token instead of the account's. */
  authToken?: string;
}

interface HostedMedia {
  data: Buffer;
  contentType: string;
}

export class TwilioFake {
  readonly accountSid: string;
  readonly authToken: string;
  readonly sent: TwilioSentMessage[] = [];
  readonly requests: RecordedRequest<TwilioRoute>[] = [];
  private readonly faults = new Faults<TwilioRoute>();
  private readonly rules: TwilioSendRules;
  private readonly media = new Map<string, HostedMedia>();
  private readonly storageTokens = new Map<string, HostedMedia>();
  private readonly api: FakeServer;
  private readonly storage: FakeServer;

  private constructor(options: TwilioFakeOptions) {
    this.accountSid = options.accountSid ?? `AC${randomHex(16)}`;
    this.authToken = options.authToken ?? randomHex(16);
    this.rules = new TwilioSendRules({
      enforceWindow: options.enforceWindow ?? true,
      windowClosedAs: options.windowClosedAs ?? 'status',
      now: options.now ?? Date.now,
    });
    this.api = new FakeServer((req, res, body) => this.handleApi(req, res, body));
    this.storage = new FakeServer((req, res, body) => this.handleStorage(req, res, body));
  }

  static async start(options: TwilioFakeOptions = {}): Promise<TwilioFake> {
    const fake = new TwilioFake(options);
    await fake.api.listen();
    await fake.storage.listen();
    return fake;
  }

  /** The REST API base URL: set it as providers.twilio.baseUrl. */
  get baseUrl(): string {
    return this.api.baseUrl;
  }

  /** Sender credentials for this account. */
  credentials(extra: { messagingServiceSid?: string } = {}): {
    accountSid: string;
    authToken: string;
    messagingServiceSid?: string;
  } {
    return { accountSid: this.accountSid, authToken: this.authToken, ...extra };
  }

  fail(rule: FaultRule<TwilioRoute>): void {
    this.faults.add(rule);
  }

  /** A share of requests on a route (default 'send') fail with a random transient fault, reproducibly. */
  failRate(rate: number, seed: number, options?: FailRateOptions<TwilioRoute>): void {
    this.faults.setRate(rate, seed, options);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Opts a customer out as if they had texted STOP (sends to them answer 21610). */
  optOut(customer: string): void {
    this.rules.optOut(customer);
  }

  optIn(customer: string): void {
    this.rules.optIn(customer);
  }

  isOptedOut(customer: string): boolean {
    return this.rules.isOptedOut(customer);
  }

  /** Hosts bytes at a Twilio media URL (Basic auth, then a redirect to storage). */
  hostMedia(data: Buffer, contentType: string): string {
    const messageSid = `MM${randomHex(16)}`;
    const mediaSid = `ME${randomHex(16)}`;
    const path = `/2010-04-01/Accounts/${this.accountSid}/Messages/${messageSid}/Media/${mediaSid}`;
    this.media.set(path, { data, contentType });
    return this.baseUrl + path;
  }

  /** Posts any form, signed, to a webhook URL. */
  async inbound(url: string, params: TwilioParams, options: SignOptions = {}): Promise<WebhookResult> {
    const signature =
      options.signature === undefined
        ? twilioSignature(options.authToken ?? this.authToken, options.signedUrl ?? url, params)
        : options.signature;
    return postWebhook(url, formEncode(params), {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
      ...(signature === null ? {} : { 'x-twilio-signature': signature }),
      'i-twilio-idempotency-token': randomHex(16),
    });
  }

  /** The parameters Twilio posts for an inbound message (without sending them). */
  messageParams(message: TwilioInbound): TwilioParams {
    return inboundParams(this.accountSid, message, (data, type) => this.hostMedia(data, type));
  }

  /**
   * A customer's message, posted signed to the sender's webhook URL. It opens the WhatsApp window,
   * and an SMS STOP/START changes the opt-out state as Twilio's Advanced Opt-Out does.
   */
  async message(
    url: string,
    message: TwilioInbound,
    options: SignOptions = {},
  ): Promise<WebhookResult & { messageSid: string; params: TwilioParams }> {
    const params = this.messageParams(message);
    this.rules.received(params, message.body);
    const result = await this.inbound(url, params, options);
    return { ...result, messageSid: String(params.MessageSid), params };
  }

  /** One signed status callback for a message the bridge sent (to its StatusCallback unless `url`). */
  async statusCallback(
    sid: string,
    status: TwilioStatus,
    options: SignOptions & { errorCode?: number; url?: string } = {},
  ): Promise<WebhookResult> {
    const message = this.sent.find((m) => m.sid === sid);
    const url = options.url ?? message?.statusCallback;
    if (!url) throw new Error(`no StatusCallback for ${sid}: pass options.url`);
    const params: Record<string, string> = {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      MessageSid: sid,
      SmsSid: sid,
      MessageStatus: status,
      SmsStatus: status,
      To: message?.to ?? '',
      From: message?.from ?? '',
      ChannelPrefix: message?.channel === 'whatsapp' ? 'whatsapp' : 'sms',
      ...(message?.messagingServiceSid ? { MessagingServiceSid: message.messagingServiceSid } : {}),
      ...(status === 'delivered' && message?.channel !== 'whatsapp' ? { RawDlrDoneDate: '2611051200' } : {}),
      ...(options.errorCode !== undefined ? { ErrorCode: String(options.errorCode) } : {}),
    };
    return this.inbound(url, params, options);
  }

  /**
   * The status callbacks of a sent message, in order: queued→sent→delivered (→read on WhatsApp),
   * or queued→failed with the message's failure. `duplicate` sends each twice; `shuffleSeed`
   * reorders them reproducibly.
   */
  async deliver(
    sid: string,
    options: { statuses?: TwilioStatus[]; duplicate?: boolean; shuffleSeed?: number; url?: string } = {},
  ): Promise<WebhookResult[]> {
    const message = this.sent.find((m) => m.sid === sid);
    if (!message && !options.url) throw new Error(`unknown message ${sid}`);
    const statuses: TwilioStatus[] =
      options.statuses ??
      (message?.failure
        ? ['queued', 'failed']
        : message?.channel === 'whatsapp'
          ? ['queued', 'sent', 'delivered', 'read']
          : ['queued', 'sent', 'delivered']);
    let sequence = options.duplicate ? statuses.flatMap((s) => [s, s]) : statuses;
    if (options.shuffleSeed !== undefined) sequence = shuffled(sequence, options.shuffleSeed);
    const results: WebhookResult[] = [];
    for (const status of sequence) {
      const failed = status === 'failed' || status === 'undelivered';
      results.push(
        await this.statusCallback(sid, status, {
          ...(options.url ? { url: options.url } : {}),
          ...(failed && message?.failure ? { errorCode: message.failure.errorCode } : {}),
        }),
      );
    }
    return results;
  }

  /** Resolves once `count` messages were accepted in total. */
  waitForSent(count: number, timeoutMs = 10_000): Promise<TwilioSentMessage[]> {
    return waitFor(
      () => (this.sent.length >= count ? this.sent.slice(0, count) : undefined),
      timeoutMs,
      `${count} sent message(s)`,
    );
  }

  /** Forgets sends, requests, faults, opt-outs and windows (not hosted media). */
  reset(): void {
    this.sent.length = 0;
    this.requests.length = 0;
    this.faults.clear();
    this.rules.clear();
  }

  async stop(): Promise<void> {
    await Promise.all([this.api.close(), this.storage.close()]);
  }

  private readonly bodies: FaultBodies = {
    serverError: (status) => twilioErrorBody(20500, 'An internal server error has occurred', status),
    throttled: () => twilioErrorBody(20429),
    error: (code) => {
      const body = twilioErrorBody(code);
      return { status: body.status, body };
    },
    successStatus: 201,
  };

  private error(res: ServerResponse, code: number, message?: string): void {
    const body = twilioErrorBody(code, message);
    sendJson(
      res,
      body.status,
      body,
      code === 20003 ? { 'www-authenticate': 'Basic realm="Twilio API"' } : {},
    );
  }

  private authorized(req: IncomingMessage, accountSid: string): boolean {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return false;
    const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    return user === this.accountSid && rest.join(':') === this.authToken && accountSid === this.accountSid;
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const path = req.url ?? '/';
    const send = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    const media = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/[^/]+\/Media\/[^/?]+$/.exec(path);
    const route: TwilioRoute | 'unknown' =
      send && req.method === 'POST' ? 'send' : media && req.method === 'GET' ? 'media' : 'unknown';
    const record = recordRequest(route, req, body);
    this.requests.push(record);
    if (route === 'unknown') return this.error(res, 20404);
    const fault = this.faults.next(route);
    if (fault && !fault.afterAccept) {
      record.fault = fault.kind;
      return respondWithFault(fault, req, res, this.bodies);
    }
    const accountSid = decodeURIComponent((send ?? media)![1]!);
    if (!this.authorized(req, accountSid)) return this.error(res, 20003);

    if (route === 'media') {
      const hosted = this.media.get(path);
      if (!hosted) return this.error(res, 20404);
      const token = randomHex(16);
      this.storageTokens.set(token, hosted);
      res.writeHead(307, { location: `${this.storage.baseUrl}/media/${token}` });
      res.end();
      return;
    }

    const decision = this.rules.accept(body);
    if ('error' in decision) return this.error(res, decision.error, decision.message);
    this.sent.push(decision.accepted);
    if (fault) {
      record.fault = fault.kind;
      return respondWithFault(fault, req, res, this.bodies);
    }
    sendJson(res, 201, messageResource(this.accountSid, decision.accepted));
  }

  private handleStorage(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const record = recordRequest<TwilioRoute>('storage', req, body);
    this.requests.push(record);
    const fault = this.faults.next('storage');
    if (fault) {
      record.fault = fault.kind;
      return respondWithFault(fault, req, res, this.bodies);
    }
    const hosted = this.storageTokens.get(record.path.replace(/^\/media\//, ''));
    if (!hosted) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    res.writeHead(200, { 'content-type': hosted.contentType, 'content-length': String(hosted.data.length) });
    res.end(hosted.data);
  }
}
