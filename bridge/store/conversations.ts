import type { Queryable } from './db.ts';

/** One episode with a contact on one sender, in one room. The lifecycle state belongs to the bot. */
export interface Conversation {
  id: string;
  spaceId: string;
  senderId: string;
  contactId: string;
  roomId: string | null;
  roomReady: boolean;
  previousConversationId: string | null;
  state: string;
  archivedAt: Date | null;
  lastInboundAt: Date | null;
}

interface ConversationRow {
  id: string;
  space_id: string;
  sender_id: string;
  contact_id: string;
  room_id: string | null;
  room_ready: boolean;
  previous_conversation_id: string | null;
  state: string;
  archived_at: Date | null;
  last_inbound_at: Date | null;
}

const toConversation = (row: ConversationRow): Conversation => ({
  id: row.id,
  spaceId: row.space_id,
  senderId: row.sender_id,
  contactId: row.contact_id,
  roomId: row.room_id,
  roomReady: row.room_ready,
  previousConversationId: row.previous_conversation_id,
  state: row.state,
  archivedAt: row.archived_at,
  lastInboundAt: row.last_inbound_at,
});

/**
 * The open (not archived) conversation of a contact on a sender, created when there is none. A new
 * one after an archived one remembers it, so that its room can link to the previous room.
 */
export async function openConversation(
  db: Queryable,
  input: { spaceId: string; senderId: string; contactId: string },
): Promise<{ conversation: Conversation; created: boolean }> {
  // Most messages belong to an open conversation: one read, no write attempt.
  const existing = await db.query<ConversationRow>(
    'SELECT * FROM conversations WHERE sender_id = $1 AND contact_id = $2 AND archived_at IS NULL',
    [input.senderId, input.contactId],
  );
  if (existing.rows[0]) return { conversation: toConversation(existing.rows[0]), created: false };
  const inserted = await db.query<ConversationRow>(
    `INSERT INTO conversations (space_id, sender_id, contact_id, previous_conversation_id)
     VALUES ($1, $2, $3, (SELECT id FROM conversations WHERE sender_id = $2 AND contact_id = $3
                          ORDER BY created_at DESC LIMIT 1))
     ON CONFLICT (sender_id, contact_id) WHERE archived_at IS NULL DO NOTHING
     RETURNING *`,
    [input.spaceId, input.senderId, input.contactId],
  );
  if (inserted.rows[0]) return { conversation: toConversation(inserted.rows[0]), created: true };
  const open = await db.query<ConversationRow>(
    'SELECT * FROM conversations WHERE sender_id = $1 AND contact_id = $2 AND archived_at IS NULL',
    [input.senderId, input.contactId],
  );
  return { conversation: toConversation(open.rows[0]!), created: false };
}

export async function getConversation(db: Queryable, id: string): Promise<Conversation | undefined> {
  const result = await db.query<ConversationRow>('SELECT * FROM conversations WHERE id = $1', [id]);
  return result.rows[0] ? toConversation(result.rows[0]) : undefined;
}

export async function findConversationByRoom(
  db: Queryable,
  roomId: string,
): Promise<Conversation | undefined> {
  const result = await db.query<ConversationRow>('SELECT * FROM conversations WHERE room_id = $1', [roomId]);
  return result.rows[0] ? toConversation(result.rows[0]) : undefined;
}

export async function setConversationRoom(db: Queryable, id: string, roomId: string): Promise<void> {
  await db.query('UPDATE conversations SET room_id = $2 WHERE id = $1 AND room_id IS NULL', [id, roomId]);
}

export async function markRoomReady(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE conversations SET room_ready = true WHERE id = $1', [id]);
}

/** Records a customer's message: activity, and the start of the channel's care window. */
export async function touchInbound(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query(
    `UPDATE conversations SET last_activity_at = now(),
       last_inbound_at = GREATEST(last_inbound_at, LEAST($2::timestamptz, now())) WHERE id = $1`,
    [id, at],
  );
}

/** The customer's last message to this sender, whichever conversation it was in. */
export async function lastInboundAt(
  db: Queryable,
  senderId: string,
  contactId: string,
): Promise<Date | undefined> {
  const result = await db.query<{ at: Date | null }>(
    'SELECT max(last_inbound_at) AS at FROM conversations WHERE sender_id = $1 AND contact_id = $2',
    [senderId, contactId],
  );
  return result.rows[0]?.at ?? undefined;
}
