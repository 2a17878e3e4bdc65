import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { SegmentedMessage } from 'sms-segments-calculator';
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
export type TwilioParams = Record<string, string | string[]>;
export type TwilioStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'undelivered' | 'failed';

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

export interface TwilioSentMessage {
  sid: string;
  channel: 'sms' | 'whatsapp';
  /** As sent, `whatsapp:` prefix included. */
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body?: string;
  mediaUrls: string[];
  contentSid?: string;
  contentVariables?: Record<string, string>;
  statusCallback?: string;
  numSegments: number;
  /** The failure its status callbacks will report (a send outside the WhatsApp window). */
  failure?: { errorCode: number };
  /** Every form parameter as received. */
  params: TwilioParams;
  at: Date;
}

export interface TwilioInbound {
  /** The customer: '+14155550100', or 'whatsapp:+14155550100' for WhatsApp. */
  from: string;
  /** The business number, same convention. */
  to: string;
  body?: string;
  /** Default: 'whatsapp' when `from` has the whatsapp: prefix. */
  channel?: 'sms' | 'whatsapp';
  profileName?: string;
  /** Bytes are hosted by the fake (Basic auth + redirect); a url is passed as is. */
  media?: ({ data: Buffer; contentType: string } | { url: string; contentType: string })[];
  latitude?: number;
  longitude?: number;
  address?: string;
  label?: string;
  buttonPayload?: string;
  buttonText?: string;
  originalRepliedMessageSid?: string;
  messageSid?: string;
  messagingServiceSid?: string;
  /** Extra parameters, as Twilio adds without notice; they are signed like the others. */
  extra?: Record<string, string>;
}

export interface SignOptions {
  /** The URL the signature covers, when it differs from where the request is posted (a proxy). */
  signedUrl?: string;
  /** Replace the signature (a forged or stale one); null sends none. */
  signature?: string | null;
  /** Sign with this token instead of the account's. */
  authToken?: string;
}

const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);

const ERRORS: Record<number, { status: number; message: string }> = {
  20003: { status: 401, message: 'Authenticate' },
  20404: { status: 404, message: 'The requested resource was not found' },
  20429: { status: 429, message: 'Too Many Requests' },
  21211: { status: 400, message: "Invalid 'To' Phone Number" },
  21602: { status: 400, message: 'Message body is required.' },
  21603: { status: 400, message: "A 'From' phone number is required." },
  21604: { status: 400, message: "A 'To' phone number is required." },
  21610: { status: 400, message: 'Attempt to send to unsubscribed recipient' },
  21612: { status: 400, message: "The 'To' phone number is not currently reachable via SMS or MMS" },
  21614: { status: 400, message: "'To' number is not a valid mobile number" },
  21617: { status: 400, message: 'The concatenated message body exceeds the 1600 character limit.' },
  21656: { status: 400, message: 'The ContentVariables Parameter is invalid.' },
  21910: { status: 400, message: 'Invalid From and To pair. From and To should be of the same channel' },
  63016: {
    status: 400,
    message:
      'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.',
  },
};

export function twilioErrorBody(code: number, message?: string, status?: number) {
  const known = ERRORS[code];
  return {
    code,
    message: message ?? known?.message ?? `Error ${code}`,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status: status ?? known?.status ?? 400,
  };
}

/**
 * X-Twilio-Signature as Twilio documents it: base64(HMAC-SHA1(authToken, url + each parameter name
 * followed by its value, names sorted, repeated names once per value in sorted order)). Written
 * from the documentation, independently of the validator the bridge uses.
 */
export function twilioSignature(authToken: string, url: string, params: TwilioParams): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const value = params[key]!;
    for (const v of Array.isArray(value) ? [...value].sort() : [value]) data += key + v;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function formEncode(params: TwilioParams): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) form.append(key, v);
  }
  return form.toString();
}

function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function bare(address: string): string {
  return address.replace(/^whatsapp:/i, '');
}

function validNumber(address: string): boolean {
  const raw = bare(address);
  if (/^\d{3,6}$/.test(raw)) return true; // short code
  return /^\+[1-9]\d{6,14}$/.test(raw) && (parsePhoneNumberFromString(raw)?.isPossible() ?? false);
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
  private readonly optedOut = new Set<string>();
  private readonly lastInbound = new Map<string, number>();
  private readonly media = new Map<string, HostedMedia>();
  private readonly storageTokens = new Map<string, HostedMedia>();
  private readonly api: FakeServer;
  private readonly storage: FakeServer;
  private readonly options: Required<Pick<TwilioFakeOptions, 'enforceWindow' | 'windowClosedAs' | 'now'>>;

  private constructor(options: TwilioFakeOptions) {
    this.accountSid = options.accountSid ?? `AC${randomHex(16)}`;
    this.authToken = options.authToken ?? randomHex(16);
    this.options = {
      enforceWindow: options.enforceWindow ?? true,
      windowClosedAs: options.windowClosedAs ?? 'status',
      now: options.now ?? Date.now,
    };
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
    this.optedOut.add(bare(customer));
  }

  optIn(customer: string): void {
    this.optedOut.delete(bare(customer));
  }

  isOptedOut(customer: string): boolean {
    return this.optedOut.has(bare(customer));
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
    const channel = message.channel ?? (/^whatsapp:/i.test(message.from) ? 'whatsapp' : 'sms');
    const address = (a: string) => (channel === 'whatsapp' && !/^whatsapp:/i.test(a) ? `whatsapp:${a}` : a);
    const sid = message.messageSid ?? `${message.media?.length ? 'MM' : 'SM'}${randomHex(16)}`;
    const params: Record<string, string> = {
      ToCountry: 'US',
      ToState: 'CA',
      SmsMessageSid: sid,
      NumMedia: String(message.media?.length ?? 0),
      ToCity: '',
      FromZip: '',
      SmsSid: sid,
      FromState: '',
      SmsStatus: 'received',
      FromCity: '',
      Body: message.body ?? '',
      FromCountry: 'US',
      To: address(message.to),
      ToZip: '',
      NumSegments: String(message.body ? new SegmentedMessage(message.body).segmentsCount : 1),
      MessageSid: sid,
      AccountSid: this.accountSid,
      From: address(message.from),
      ApiVersion: '2010-04-01',
    };
    if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
    message.media?.forEach((m, i) => {
      params[`MediaUrl${i}`] = 'url' in m ? m.url : this.hostMedia(m.data, m.contentType);
      params[`MediaContentType${i}`] = m.contentType;
    });
    if (channel === 'whatsapp') {
      params.WaId = bare(message.from).replace(/^\+/, '');
      params.ProfileName = message.profileName ?? '';
      params.ReferralNumMedia = '0';
      params.MessageType =
        message.latitude !== undefined
          ? 'location'
          : message.buttonPayload
            ? 'button'
            : message.media?.length
              ? 'image'
              : 'text';
      params.ChannelMetadata = JSON.stringify({ type: 'whatsapp', data: { context: {} } });
    }
    if (message.latitude !== undefined) params.Latitude = String(message.latitude);
    if (message.longitude !== undefined) params.Longitude = String(message.longitude);
    if (message.address) params.Address = message.address;
    if (message.label) params.Label = message.label;
    if (message.buttonPayload) params.ButtonPayload = message.buttonPayload;
    if (message.buttonText) params.ButtonText = message.buttonText;
    if (message.originalRepliedMessageSid)
      params.OriginalRepliedMessageSid = message.originalRepliedMessageSid;
    return { ...params, ...message.extra };
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
    const customer = bare(String(params.From));
    if (params.WaId !== undefined) this.lastInbound.set(customer, this.options.now());
    else {
      const word = (message.body ?? '').trim().toUpperCase();
      if (OPT_OUT.has(word)) this.optedOut.add(customer);
      if (OPT_IN.has(word)) this.optedOut.delete(customer);
    }
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
    this.optedOut.clear();
    this.lastInbound.clear();
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
    const record: RecordedRequest<TwilioRoute> = {
      route,
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      at: new Date(),
    };
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

    const accepted = this.accept(res, body);
    if (!accepted) return;
    if (fault) {
      record.fault = fault.kind;
      return respondWithFault(fault, req, res, this.bodies);
    }
    sendJson(res, 201, this.resource(accepted));
  }

  /** Validates and records a send; answers the error itself and returns undefined when refused. */
  private accept(res: ServerResponse, body: Buffer): TwilioSentMessage | undefined {
    const params: TwilioParams = {};
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
      const existing = params[key];
      params[key] =
        existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const one = (key: string) => {
      const v = params[key];
      return Array.isArray(v) ? v[0] : v;
    };
    const all = (key: string) => {
      const v = params[key];
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    };
    const to = one('To');
    const from = one('From');
    const service = one('MessagingServiceSid');
    const text = one('Body');
    const mediaUrls = all('MediaUrl');
    const contentSid = one('ContentSid');
    if (!to) return void this.error(res, 21604);
    if (!from && !service) return void this.error(res, 21603);
    if (!text && mediaUrls.length === 0 && !contentSid) return void this.error(res, 21602);
    if (!validNumber(to))
      return void this.error(res, 21211, `The 'To' number ${to} is not a valid phone number.`);
    const whatsapp = /^whatsapp:/i.test(to);
    if (from && whatsapp !== /^whatsapp:/i.test(from)) return void this.error(res, 21910);
    if (text && text.length > 1600) return void this.error(res, 21617);
    let contentVariables: Record<string, string> | undefined;
    const rawVariables = one('ContentVariables');
    if (rawVariables !== undefined) {
      try {
        contentVariables = JSON.parse(rawVariables) as Record<string, string>;
      } catch {
        return void this.error(res, 21656);
      }
    }
    if (!whatsapp && this.optedOut.has(bare(to))) return void this.error(res, 21610);

    let failure: TwilioSentMessage['failure'];
    const last = this.lastInbound.get(bare(to));
    const windowOpen = last !== undefined && this.options.now() - last < 24 * 3600_000;
    if (whatsapp && this.options.enforceWindow && !contentSid && !windowOpen) {
      if (this.options.windowClosedAs === 'request') return void this.error(res, 63016);
      failure = { errorCode: 63016 };
    }
    const message: TwilioSentMessage = {
      sid: `SM${randomHex(16)}`,
      channel: whatsapp ? 'whatsapp' : 'sms',
      to,
      ...(from ? { from } : {}),
      ...(service ? { messagingServiceSid: service } : {}),
      ...(text ? { body: text } : {}),
      mediaUrls,
      ...(contentSid ? { contentSid } : {}),
      ...(contentVariables ? { contentVariables } : {}),
      ...(one('StatusCallback') ? { statusCallback: one('StatusCallback') } : {}),
      numSegments: text ? new SegmentedMessage(text).segmentsCount : 1,
      ...(failure ? { failure } : {}),
      params,
      at: new Date(),
    };
    this.sent.push(message);
    return message;
  }

  private resource(m: TwilioSentMessage): Record<string, unknown> {
    const now = rfc2822(m.at);
    const uri = `/2010-04-01/Accounts/${this.accountSid}/Messages/${m.sid}`;
    return {
      account_sid: this.accountSid,
      api_version: '2010-04-01',
      body: m.body ?? '',
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: m.messagingServiceSid ? null : m.from,
      messaging_service_sid: m.messagingServiceSid ?? null,
      num_media: String(m.mediaUrls.length),
      num_segments: String(m.numSegments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.messagingServiceSid ? 'accepted' : 'queued',
      subresource_uris: { media: `${uri}/Media.json` },
      to: m.to,
      uri: `${uri}.json`,
    };
  }

  private handleStorage(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const path = req.url ?? '/';
    const record: RecordedRequest<TwilioRoute> = {
      route: 'storage',
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      at: new Date(),
    };
    this.requests.push(record);
    const fault = this.faults.next('storage');
    if (fault) {
      record.fault = fault.kind;
      return respondWithFault(fault, req, res, this.bodies);
    }
    const hosted = this.storageTokens.get(path.replace(/^\/media\//, ''));
    if (!hosted) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    res.writeHead(200, { 'content-type': hosted.contentType, 'content-length': String(hosted.data.length) });
    res.end(hosted.data);
  }
}
