import { randomBytes } from 'node:crypto';
import type { DeliveryStatus, OutboundMessage, ProviderFailure } from '../providers/types.ts';
import { STATUS_RANK } from '../providers/types.ts';
import type { QueueRow } from '../queue/ordered-queue.ts';
import type { Queryable } from './db.ts';

/** Media to send: Matrix content, served to providers through an unguessable link (media_links). */
export interface OutboxMedia {
  mxc: string;
  mimeType: string;
  filename?: string;
  size?: number;
  /** The media link's token. */
  token: string;
}

export interface OutboxContent {
  text?: string;
  media?: OutboxMedia;
  interactive?: OutboundMessage['interactive'];
  template?: OutboundMessage['template'];
}

export interface OutboxRow extends QueueRow {
  conversation_id: string;
  room_id: string;
  event_id: string | null;
  cause: string | null;
  author: string;
  content: OutboxContent;
  bypass_opt_out: boolean;
  room_copy_event_id: string | null;
  parts_sent: number;
  provider_message_id: string | null;
  segments: number | null;
  status: DeliveryStatus | null;
  last_failure: (Pick<ProviderFailure, 'kind' | 'code' | 'message'> & { refused?: boolean }) | null;
  state: 'pending' | 'done' | 'failed';
}

/** How long a provider may take to fetch a media link after the message was queued. */
const MEDIA_LINK_DAYS = 7;

/** A media link for mxc content; its token goes into the outbox content. */
export async function createMediaLink(
  db: Queryable,
  media: Omit<OutboxMedia, 'token'>,
): Promise<OutboxMedia> {
  const token = randomBytes(24).toString('base64url');
  await db.query(
    `INSERT INTO media_links (token, mxc, mime_type, filename, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(days => $5))`,
    [token, media.mxc, media.mimeType, media.filename ?? null, MEDIA_LINK_DAYS],
  );
  return { ...media, token };
}

export async function findMediaLink(
  db: Queryable,
  token: string,
): Promise<{ mxc: string; mimeType: string; filename: string | null } | undefined> {
  const result = await db.query<{ mxc: string; mime_type: string; filename: string | null }>(
    'SELECT mxc, mime_type, filename FROM media_links WHERE token = $1 AND expires_at > now()',
    [token],
  );
  const row = result.rows[0];
  return row ? { mxc: row.mxc, mimeType: row.mime_type, filename: row.filename } : undefined;
}

export interface NewOutbound {
  conversationId: string;
  roomId: string;
  /** The agent's event (from Matrix) or, for the bot's own messages, a unique cause. */
  eventId?: string;
  cause?: string;
  author: string;
  content: OutboxContent;
  bypassOptOut?: boolean;
}

/** Queues a message; the same event ID or cause again is a no-op. Returns the row id either way. */
export async function enqueueOutbound(
  db: Queryable,
  m: NewOutbound,
): Promise<{ id: string; created: boolean }> {
  const conflict = m.eventId ? '(event_id)' : '(cause)';
  const inserted = await db.query<{ id: string }>(
    `INSERT INTO outbox (conversation_id, room_id, event_id, cause, author, content, bypass_opt_out)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ${conflict} DO NOTHING RETURNING id`,
    [
      m.conversationId,
      m.roomId,
      m.eventId ?? null,
      m.cause ?? null,
      m.author,
      JSON.stringify(m.content),
      m.bypassOptOut ?? false,
    ],
  );
  if (inserted.rows[0]) return { id: inserted.rows[0].id, created: true };
  const existing = await db.query<{ id: string }>(
    m.eventId ? 'SELECT id FROM outbox WHERE event_id = $1' : 'SELECT id FROM outbox WHERE cause = $1',
    [m.eventId ?? m.cause],
  );
  return { id: existing.rows[0]!.id, created: false };
}

export async function findOutboundByEvent(db: Queryable, eventId: string): Promise<OutboxRow | undefined> {
  const result = await db.query<OutboxRow>(
    'SELECT * FROM outbox WHERE event_id = $1 OR room_copy_event_id = $1',
    [eventId],
  );
  return result.rows[0];
}

export async function getOutbound(db: Queryable, id: string): Promise<OutboxRow | undefined> {
  const result = await db.query<OutboxRow>('SELECT * FROM outbox WHERE id = $1', [id]);
  return result.rows[0];
}

/**
 * Withdraws a message nobody is sending yet (the agent deleted it in time). False when it is
 * being sent or already was.
 */
export async function cancelOutbound(db: Queryable, eventId: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE outbox SET state = 'failed', last_error = 'redacted before it was sent', handled_at = now()
     WHERE event_id = $1 AND state = 'pending' AND attempts = 0
       AND (locked_until IS NULL OR locked_until < now())`,
    [eventId],
  );
  return result.rowCount === 1;
}

export async function setRoomCopy(db: Queryable, id: string, eventId: string): Promise<void> {
  await db.query('UPDATE outbox SET room_copy_event_id = $2 WHERE id = $1', [id, eventId]);
}

/** One part accepted by the provider: progress, first provider id and initial status in one write. */
export async function recordPartSent(
  db: Queryable,
  id: string,
  part: { index: number; providerMessageId: string; status?: DeliveryStatus; segments?: number },
): Promise<void> {
  const status = part.status ?? 'queued';
  await db.query(
    `UPDATE outbox SET parts_sent = GREATEST(parts_sent, $2 + 1),
       provider_message_id = COALESCE(provider_message_id, $3),
       segments = COALESCE($4, segments),
       status = CASE WHEN status_rank < $6 THEN $5 ELSE status END,
       status_rank = GREATEST(status_rank, $6)
     WHERE id = $1`,
    [id, part.index, part.providerMessageId, part.segments ?? null, status, STATUS_RANK[status]],
  );
}

export async function recordFailure(db: Queryable, id: string, failure: OutboxRow['last_failure']) {
  await db.query('UPDATE outbox SET last_failure = $2 WHERE id = $1', [id, JSON.stringify(failure)]);
}

/** Moves the status forward only; returns whether it moved (late and duplicate callbacks do not). */
export async function advanceStatus(db: Queryable, id: string, status: DeliveryStatus): Promise<boolean> {
  const result = await db.query(
    'UPDATE outbox SET status = $2, status_rank = $3 WHERE id = $1 AND status_rank < $3',
    [id, status, STATUS_RANK[status]],
  );
  return result.rowCount === 1;
}
