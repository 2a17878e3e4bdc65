import type { InboundMessage, StatusUpdate } from '../providers/types.ts';
import type { QueueRow } from '../queue/ordered-queue.ts';
import type { Queryable } from './db.ts';

/** An inbound message waiting for (or done with) the inbox worker. */
export interface InboxRow extends QueueRow {
  provider: string;
  provider_message_id: string;
  sender_id: string;
  contact_address: string;
  conversation_key: string;
  message: InboundMessage;
  conversation_id: string | null;
  uploaded: Record<string, UploadedMedia>;
  event_ids: string[] | null;
  keyword_effect: KeywordEffect | null;
}

export interface UploadedMedia {
  mxc: string;
  mimeType: string;
  size: number;
  filename?: string;
}

export type KeywordEffect = 'opted-out' | 'opted-in' | 'help' | 'none';

/** One customer's messages on one sender run in order: this is their queue key. */
export function conversationKey(senderId: string, contactAddress: string): string {
  return `${senderId}/${contactAddress}`;
}

/** JSON turns the Date into a string; the worker gets it back as a Date. */
export function reviveMessage(message: InboundMessage): InboundMessage {
  return { ...message, timestamp: new Date(message.timestamp) };
}

/** Inserts messages; a provider id already stored is skipped. Returns how many were new. */
export async function insertInbound(
  db: Queryable,
  provider: string,
  senderId: string,
  messages: InboundMessage[],
): Promise<number> {
  if (messages.length === 0) return 0;
  const result = await db.query(
    `INSERT INTO inbox (provider, provider_message_id, sender_id, contact_address, conversation_key, message)
     SELECT $1, * FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[])
     ON CONFLICT (provider, provider_message_id) DO NOTHING`,
    [
      provider,
      messages.map((m) => m.providerMessageId),
      messages.map(() => senderId),
      messages.map((m) => m.from.address),
      messages.map((m) => conversationKey(senderId, m.from.address)),
      messages.map((m) => JSON.stringify(m, withoutNul)),
    ],
  );
  return result.rowCount ?? 0;
}

/**
 * Postgres text and jsonb cannot hold U+0000, and a carrier may relay one from a phone: dropped,
 * rather than refusing (and the carrier retrying forever) the whole message.
 */
function withoutNul(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
}

/** Inserts delivery statuses; a (message, status) pair already stored is skipped. */
export async function insertStatuses(
  db: Queryable,
  provider: string,
  statuses: StatusUpdate[],
): Promise<number> {
  if (statuses.length === 0) return 0;
  const result = await db.query(
    `INSERT INTO delivery_statuses (provider, provider_message_id, status, error, reported_at)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::timestamptz[])
     ON CONFLICT (provider, provider_message_id, status) DO NOTHING`,
    [
      provider,
      statuses.map((s) => s.providerMessageId),
      statuses.map((s) => s.status),
      statuses.map((s) => (s.error ? JSON.stringify(s.error) : null)),
      statuses.map((s) => s.timestamp),
    ],
  );
  return result.rowCount ?? 0;
}

export async function recordUpload(
  db: Queryable,
  id: string,
  index: number,
  media: UploadedMedia,
): Promise<void> {
  await db.query(
    `UPDATE inbox SET uploaded = uploaded || jsonb_build_object($2::text, $3::jsonb) WHERE id = $1`,
    [id, String(index), JSON.stringify(media)],
  );
}

/**
 * A posted message without an SMS keyword, in one statement (atomic, one round trip instead of a
 * transaction of three): the row's events, the provider ID ↔ event map, and the conversation's
 * activity and care window — what recordPosted, mapMessage and touchInbound do together.
 */
export async function recordPostedMessage(
  db: Queryable,
  m: {
    inboxId: string;
    conversationId: string;
    eventIds: string[];
    provider: string;
    providerMessageId: string;
    roomId: string;
    at: Date;
  },
): Promise<void> {
  await db.query(
    `WITH posted AS (
       UPDATE inbox SET conversation_id = $2, event_ids = $3, keyword_effect = NULL WHERE id = $1
     ), mapped AS (
       INSERT INTO message_map (provider, provider_message_id, direction, conversation_id, room_id, event_id)
       VALUES ($4, $5, 'in', $2, $6, $3[1]) ON CONFLICT DO NOTHING
     )
     UPDATE conversations SET last_activity_at = now(),
       last_inbound_at = GREATEST(last_inbound_at, LEAST($7::timestamptz, now())) WHERE id = $2`,
    [m.inboxId, m.conversationId, m.eventIds, m.provider, m.providerMessageId, m.roomId, m.at],
  );
}

export async function recordPosted(
  db: Queryable,
  id: string,
  conversationId: string,
  eventIds: string[],
  keywordEffect: KeywordEffect | null,
): Promise<void> {
  await db.query('UPDATE inbox SET conversation_id = $2, event_ids = $3, keyword_effect = $4 WHERE id = $1', [
    id,
    conversationId,
    eventIds,
    keywordEffect,
  ]);
}
