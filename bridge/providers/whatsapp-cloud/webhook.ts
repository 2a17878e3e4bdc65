import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { contactAddress, type Address } from '../../addresses.ts';
import { logger } from '../../log.ts';
import {
  WebhookFormatError,
  type DeliveryStatus,
  type InboundItem,
  type InboundMessage,
  type SenderInfo,
  type WebhookRequest,
  type WebhookResponse,
} from '../types.ts';
import { statusFailure } from './errors.ts';

/*
 * Meta's webhooks: a GET handshake (hub.challenge), then signed JSON POSTs, each possibly carrying
 * several entries, changes, messages and statuses. One app's webhook URL can receive the traffic
 * of several phone numbers, so every change is checked against this sender's phone_number_id.
 */

const log = logger('bridge.providers.whatsapp-cloud');

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison leaks neither content nor length.
  const a = createHmac('sha256', 'compare').update(given).digest();
  const b = createHmac('sha256', 'compare').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function handshake(verifyToken: string, request: WebhookRequest): WebhookResponse {
  const mode = request.query['hub.mode'];
  const token = request.query['hub.verify_token'] ?? '';
  const challenge = request.query['hub.challenge'];
  if (mode === 'subscribe' && challenge !== undefined && sameSecret(token, verifyToken)) {
    return { status: 200, contentType: 'text/plain', body: challenge };
  }
  return { status: 403, contentType: 'text/plain', body: 'verification failed' };
}

/** X-Hub-Signature-256 over the bytes received (Meta escapes non-ASCII: never re-serialize). */
export function verifySignature(appSecret: string, request: WebhookRequest): boolean {
  const header = request.headers['x-hub-signature-256']?.trim();
  const match = header ? /^sha256=([0-9a-fA-F]{64})$/.exec(header) : null;
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(request.rawBody).digest();
  return timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected);
}

const idString = z.union([z.string().min(1), z.number()]).transform(String);
const media = z.looseObject({
  id: z.string().min(1),
  mime_type: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
});
const errorItem = z.looseObject({
  code: z.union([z.number(), z.string()]).optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});
const timestamp = z.union([z.string().regex(/^\d+$/, 'must be unix seconds'), z.number()]).transform(Number);

const message = z.looseObject({
  id: z.string().min(1),
  from: z.string().optional(),
  from_user_id: z.string().optional(),
  timestamp: timestamp.optional(),
  type: z.string().min(1),
  context: z.looseObject({ id: z.string().optional() }).optional(),
  text: z.looseObject({ body: z.string() }).optional(),
  image: media.optional(),
  audio: media.optional(),
  video: media.optional(),
  document: media.optional(),
  sticker: media.optional(),
  location: z
    .looseObject({
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    })
    .optional(),
  interactive: z
    .looseObject({
      type: z.string(),
      button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
      list_reply: z
        .looseObject({ id: z.string(), title: z.string(), description: z.string().optional() })
        .optional(),
    })
    .optional(),
  button: z.looseObject({ payload: z.string().optional(), text: z.string() }).optional(),
  reaction: z.looseObject({ message_id: z.string(), emoji: z.string().optional() }).optional(),
  contacts: z
    .array(
      z.looseObject({
        name: z.looseObject({ formatted_name: z.string().optional() }).optional(),
        phones: z.array(z.looseObject({ phone: z.string().optional() })).optional(),
      }),
    )
    .optional(),
  system: z.looseObject({ body: z.string().optional() }).optional(),
  errors: z.array(errorItem).optional(),
});
type Message = z.infer<typeof message>;

const value = z.looseObject({
  metadata: z.looseObject({ phone_number_id: idString, display_phone_number: z.string().optional() }),
  contacts: z
    .array(
      z.looseObject({
        wa_id: z.string().optional(),
        user_id: z.string().optional(),
        profile: z.looseObject({ name: z.string().optional() }).optional(),
      }),
    )
    .optional(),
  messages: z.array(message).optional(),
  statuses: z
    .array(
      z.looseObject({
        id: z.string().min(1),
        status: z.string().min(1),
        timestamp: timestamp.optional(),
        errors: z.array(errorItem).optional(),
      }),
    )
    .optional(),
  errors: z.array(errorItem).optional(),
});
type Value = z.infer<typeof value>;

const envelope = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: idString.optional(),
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
    }),
  ),
});

function check<T>(schema: z.ZodType<T>, data: unknown, prefix: (string | number)[]): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new WebhookFormatError(`${[...prefix, ...issue.path].join('.') || 'body'}: ${issue.message}`);
}

const STATUSES: Record<string, DeliveryStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
};

function customer(v: Value, m: Message, path: string): Address & { profileName?: string } {
  const contacts = v.contacts ?? [];
  const contact =
    (m.from && contacts.find((c) => c.wa_id === m.from)) ||
    (m.from_user_id && contacts.find((c) => c.user_id === m.from_user_id)) ||
    (contacts.length === 1 ? contacts[0] : undefined);
  const phone = m.from ?? contact?.wa_id;
  const userId = m.from_user_id ?? contact?.user_id;
  const profileName = contact?.profile?.name;
  const address: Address | undefined = phone
    ? contactAddress(phone, 'whatsapp')
    : userId
      ? { address: userId, kind: 'wa-user-id' }
      : undefined;
  if (!address) throw new WebhookFormatError(`${path}.from: missing (no phone number nor user_id)`);
  return { ...address, ...(profileName ? { profileName } : {}) };
}

/** What an agent sees for a message this bridge cannot show as such: never dropped silently. */
function unsupportedText(m: Message): string {
  const error = m.errors?.[0];
  const reason = error?.error_data?.details ?? error?.message ?? error?.title;
  return `⚠️ The customer sent a ${m.type === 'unsupported' ? 'kind of message' : `"${m.type}" message`} that cannot be shown here${reason ? ` (${reason})` : ''}.`;
}

function content(m: Message, path: string): Partial<InboundMessage> {
  const need = <T>(x: T | undefined, field: string): T => {
    if (x === undefined) throw new WebhookFormatError(`${path}.${field}: missing for type "${m.type}"`);
    return x;
  };
  switch (m.type) {
    case 'text':
      return { text: need(m.text, 'text').body };
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker': {
      const x = need(m[m.type], m.type);
      return {
        media: [
          {
            ref: x.id,
            ...(x.mime_type ? { mimeType: x.mime_type } : {}),
            ...(x.filename ? { filename: x.filename } : {}),
            ...(x.caption ? { caption: x.caption } : {}),
          },
        ],
      };
    }
    case 'location': {
      const l = need(m.location, 'location');
      return {
        location: {
          latitude: l.latitude,
          longitude: l.longitude,
          ...(l.name ? { name: l.name } : {}),
          ...(l.address ? { address: l.address } : {}),
        },
      };
    }
    case 'interactive': {
      const i = need(m.interactive, 'interactive');
      const picked = i.button_reply ?? i.list_reply;
      if (!picked) return { text: unsupportedText({ ...m, type: `interactive ${i.type}` }) };
      return { text: picked.title, reply: { id: picked.id, title: picked.title } };
    }
    case 'button': {
      const b = need(m.button, 'button');
      return { text: b.text, reply: { id: b.payload ?? b.text, title: b.text } };
    }
    case 'reaction': {
      // A reaction becomes a short text answering the message it reacts to, so agents see it in
      // context; removing a reaction is said too rather than silently dropped.
      const r = need(m.reaction, 'reaction');
      return {
        text: r.emoji ? `Reacted ${r.emoji} to a message` : 'Removed a reaction from a message',
        inReplyTo: r.message_id,
      };
    }
    case 'contacts': {
      const cards = (m.contacts ?? []).map((c) =>
        [c.name?.formatted_name, ...(c.phones ?? []).map((p) => p.phone)].filter(Boolean).join(' '),
      );
      return {
        text: `Shared ${cards.length === 1 ? 'a contact' : 'contacts'}: ${cards.join('; ') || '(empty)'}`,
      };
    }
    case 'system':
      return { text: m.system?.body ?? unsupportedText(m) };
    default:
      return { text: unsupportedText(m) };
  }
}

function messageItem(sender: SenderInfo, v: Value, m: Message, path: string): InboundMessage {
  const body = content(m, path);
  const inReplyTo = body.inReplyTo ?? m.context?.id;
  return {
    kind: 'message',
    providerMessageId: m.id,
    from: customer(v, m, path),
    to: v.metadata.display_phone_number ?? sender.address,
    timestamp: m.timestamp !== undefined ? new Date(m.timestamp * 1000) : new Date(),
    ...body,
    ...(inReplyTo ? { inReplyTo } : {}),
  };
}

export function parseWebhook(
  sender: SenderInfo,
  phoneNumberId: string,
  request: WebhookRequest,
): InboundItem[] {
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new WebhookFormatError('the body is not JSON');
  }
  const payload = check(envelope, json, []);
  if (payload.object !== 'whatsapp_business_account') {
    log.debug({ senderId: sender.id, object: payload.object }, 'ignoring a webhook for another Meta product');
    return [];
  }
  const items: InboundItem[] = [];
  payload.entry.forEach((entry, e) => {
    entry.changes.forEach((change, c) => {
      const prefix = ['entry', e, 'changes', c, 'value'];
      if (change.field !== 'messages') {
        log.debug(
          { senderId: sender.id, field: change.field },
          'ignoring a webhook field other than messages',
        );
        return;
      }
      const v = check(value, change.value, prefix);
      if (v.metadata.phone_number_id !== phoneNumberId) {
        log.debug(
          { senderId: sender.id, phoneNumberId: v.metadata.phone_number_id },
          "ignoring a change for another phone number than this sender's",
        );
        return;
      }
      for (const error of v.errors ?? []) {
        log.warn(
          { senderId: sender.id, code: error.code, title: error.title },
          'Meta reported an error in a webhook',
        );
      }
      (v.messages ?? []).forEach((m, i) => {
        items.push(messageItem(sender, v, m, [...prefix, 'messages', i].join('.')));
      });
      for (const s of v.statuses ?? []) {
        const status = STATUSES[s.status];
        if (!status) {
          log.debug(
            { senderId: sender.id, status: s.status },
            'skipping a status this bridge does not track',
          );
          continue;
        }
        const first = s.errors?.[0];
        items.push({
          kind: 'status',
          providerMessageId: s.id,
          status,
          timestamp: s.timestamp !== undefined ? new Date(s.timestamp * 1000) : new Date(),
          ...(status === 'failed'
            ? { error: statusFailure(first && { ...first, details: first.error_data?.details }) }
            : {}),
        });
      }
    });
  });
  return items;
}
