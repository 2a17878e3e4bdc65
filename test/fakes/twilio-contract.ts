import { createHmac } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { SegmentedMessage } from 'sms-segments-calculator';
import { randomHex } from './http.ts';

/*
 * Twilio's Messaging contract as the fake (twilio.ts) plays it: error codes and bodies, the
 * signature algorithm, the parameters of inbound webhooks, the checks on a send and the Message
 * resource it answers with.
 */

export type TwilioParams = Record<string, string | string[]>;
export type TwilioStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'undelivered' | 'failed';

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

export const OPT_OUT = new Set([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
]);
export const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);

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

export function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export function bare(address: string): string {
  return address.replace(/^whatsapp:/i, '');
}

export function validNumber(address: string): boolean {
  const raw = bare(address);
  if (/^\d{3,6}$/.test(raw)) return true; // short code
  return /^\+[1-9]\d{6,14}$/.test(raw) && (parsePhoneNumberFromString(raw)?.isPossible() ?? false);
}

/** The parameters Twilio posts for an inbound message; `host` turns bytes into a media URL. */
export function inboundParams(
  accountSid: string,
  message: TwilioInbound,
  host: (data: Buffer, contentType: string) => string,
): TwilioParams {
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
    AccountSid: accountSid,
    From: address(message.from),
    ApiVersion: '2010-04-01',
  };
  if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
  message.media?.forEach((m, i) => {
    params[`MediaUrl${i}`] = 'url' in m ? m.url : host(m.data, m.contentType);
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
  if (message.originalRepliedMessageSid) params.OriginalRepliedMessageSid = message.originalRepliedMessageSid;
  return { ...params, ...message.extra };
}

/** A send's form, checked field by field as Twilio does; `error` is the code Twilio would answer. */
export interface SendForm {
  params: TwilioParams;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body?: string;
  mediaUrls: string[];
  contentSid?: string;
  contentVariables?: Record<string, string>;
  statusCallback?: string;
  whatsapp: boolean;
}

export function readSendForm(body: Buffer): SendForm | { error: number; message?: string } {
  const params = parseForm(body);
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
  const statusCallback = one('StatusCallback');
  if (!to) return { error: 21604 };
  if (!from && !service) return { error: 21603 };
  if (!text && mediaUrls.length === 0 && !contentSid) return { error: 21602 };
  if (!validNumber(to))
    return { error: 21211, message: `The 'To' number ${to} is not a valid phone number.` };
  const whatsapp = /^whatsapp:/i.test(to);
  if (from && whatsapp !== /^whatsapp:/i.test(from)) return { error: 21910 };
  if (text && text.length > 1600) return { error: 21617 };
  let contentVariables: Record<string, string> | undefined;
  const rawVariables = one('ContentVariables');
  if (rawVariables !== undefined) {
    try {
      contentVariables = JSON.parse(rawVariables) as Record<string, string>;
    } catch {
      return { error: 21656 };
    }
  }
  return {
    params,
    to,
    ...(from ? { from } : {}),
    ...(service ? { messagingServiceSid: service } : {}),
    ...(text ? { body: text } : {}),
    mediaUrls,
    ...(contentSid ? { contentSid } : {}),
    ...(contentVariables ? { contentVariables } : {}),
    ...(statusCallback ? { statusCallback } : {}),
    whatsapp,
  };
}

export function parseForm(body: Buffer): TwilioParams {
  const params: TwilioParams = {};
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
    const existing = params[key];
    params[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return params;
}

/** The Message resource Twilio answers a send with (201). */
export function messageResource(accountSid: string, m: TwilioSentMessage): Record<string, unknown> {
  const now = rfc2822(m.at);
  const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}`;
  return {
    account_sid: accountSid,
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
