import type { Queryable } from './db.ts';

export interface MappedMessage {
  provider: string;
  providerMessageId: string;
  direction: 'in' | 'out';
  conversationId: string;
  roomId: string;
  eventId: string;
  outboxId: string | null;
}

interface MapRow {
  provider: string;
  provider_message_id: string;
  direction: 'in' | 'out';
  conversation_id: string;
  room_id: string;
  event_id: string;
  outbox_id: string | null;
}

const toMapped = (row: MapRow): MappedMessage => ({
  provider: row.provider,
  providerMessageId: row.provider_message_id,
  direction: row.direction,
  conversationId: row.conversation_id,
  roomId: row.room_id,
  eventId: row.event_id,
  outboxId: row.outbox_id,
});

export async function mapMessage(db: Queryable, m: Omit<MappedMessage, 'outboxId'> & { outboxId?: string }) {
  await db.query(
    `INSERT INTO message_map (provider, provider_message_id, direction, conversation_id, room_id, event_id, outbox_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [m.provider, m.providerMessageId, m.direction, m.conversationId, m.roomId, m.eventId, m.outboxId ?? null],
  );
}

export async function findByProviderId(
  db: Queryable,
  provider: string,
  providerMessageId: string,
): Promise<MappedMessage | undefined> {
  const result = await db.query<MapRow>(
    'SELECT * FROM message_map WHERE provider = $1 AND provider_message_id = $2',
    [provider, providerMessageId],
  );
  return result.rows[0] ? toMapped(result.rows[0]) : undefined;
}

/** The customer's newest message in a conversation. */
export async function latestInbound(
  db: Queryable,
  conversationId: string,
): Promise<MappedMessage | undefined> {
  const result = await db.query<MapRow>(
    `SELECT * FROM message_map WHERE conversation_id = $1 AND direction = 'in'
     ORDER BY created_at DESC LIMIT 1`,
    [conversationId],
  );
  return result.rows[0] ? toMapped(result.rows[0]) : undefined;
}
