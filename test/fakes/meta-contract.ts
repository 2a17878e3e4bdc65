import { createHash, createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { randomHex, sendJson } from './http.ts';

/*
 * Meta's Cloud API contract as the fake (meta.ts) plays it: error codes and bodies, signed JSON
 * written the way Meta writes it, and the message and status objects of its webhooks.
 */

export type MetaRoute = 'send' | 'read' | 'upload' | 'media' | 'download';
export type MetaStatus = 'sent' | 'delivered' | 'read' | 'failed';

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

export const ERRORS: Record<number, { status: number; type: string; message: string; subcode?: number }> = {
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

/** Answers with a Graph API error: its status and body, and the OAuth challenge for code 190. */
export function sendMetaError(res: ServerResponse, code: number, message?: string): void {
  sendJson(
    res,
    ERRORS[code]?.status ?? 400,
    metaErrorBody(code, message),
    code === 190 ? { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token"' } : {},
  );
}

export function wamid(): string {
  return `wamid.${Buffer.from(randomHex(24), 'hex').toString('base64')}`;
}

/** A `messages[]` object as Meta posts it; `host` turns bytes into a media id. */
export function messageObject(
  m: MetaInbound & { id: string },
  waId: string | undefined,
  context: { now: number; displayPhoneNumber: string; host: (data: Buffer, mimeType: string) => string },
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    ...(waId ? { from: waId } : {}),
    ...(m.userId && !waId ? { from_user_id: m.userId } : {}),
    id: m.id,
    timestamp: String(m.timestamp ?? Math.floor(context.now / 1000)),
    ...(m.replyTo ? { context: { from: context.displayPhoneNumber, id: m.replyTo } } : {}),
  };
  if (m.text !== undefined) Object.assign(base, { type: 'text', text: { body: m.text } });
  if (m.media) {
    const id = context.host(m.media.data, m.media.mimeType);
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

/** A `statuses[]` object as Meta posts it. */
export function statusObject(
  id: string,
  status: MetaStatus,
  now: number,
  message: MetaSentMessage | undefined,
  errors: { code: number; title?: string; message?: string }[] | undefined,
): Record<string, unknown> {
  const recipient = message?.to ?? '';
  const opaque = message?.body.biz_opaque_callback_data;
  return {
    id,
    status,
    timestamp: String(Math.floor(now / 1000)),
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
            message: e.message ?? ERRORS[e.code]?.message.replace(/^\(#\d+\) /, '') ?? `Error ${e.code}`,
            error_data: { details: e.message ?? 'See the error code' },
          })),
        }
      : {}),
  };
}

/** Which API a request is for: paths are /{version}/{id}[/messages|/media], and the media URL. */
export function metaRoute(method: string, parts: string[], body: Buffer): MetaRoute | 'unknown' {
  const versioned = /^v\d+\.\d+$/.test(parts[0] ?? '');
  if (parts[0] === 'media-download' && parts.length === 2 && method === 'GET') return 'download';
  if (!versioned) return 'unknown';
  if (parts.length === 2 && method === 'GET') return 'media';
  if (parts.length === 3 && method === 'POST' && parts[2] === 'media') return 'upload';
  if (parts.length === 3 && method === 'POST' && parts[2] === 'messages') {
    try {
      return (JSON.parse(body.toString('utf8')) as { status?: unknown }).status === 'read' ? 'read' : 'send';
    } catch {
      return 'send';
    }
  }
  return 'unknown';
}

/** A media upload (multipart: messaging_product, type, file), or what Meta would say is wrong. */
export async function readUpload(
  contentType: string | undefined,
  body: Buffer,
): Promise<Omit<MetaUpload, 'id'> | { error: string }> {
  let form: FormData;
  try {
    form = await new Request('http://fake/', {
      method: 'POST',
      headers: { 'content-type': contentType ?? '' },
      body: new Uint8Array(body),
    }).formData();
  } catch {
    return { error: '(#100) The upload must be multipart/form-data' };
  }
  if (form.get('messaging_product') !== 'whatsapp') {
    return { error: '(#100) The parameter messaging_product is required.' };
  }
  const file = form.get('file');
  if (!(file instanceof Blob)) return { error: '(#100) The parameter file is required.' };
  return {
    type: String(form.get('type') ?? file.type),
    filename: file instanceof File ? file.name : undefined,
    data: Buffer.from(await file.arrayBuffer()),
  };
}
