import type { Queryable } from '../store/db.ts';
import type { ClientEvent } from './appservice.ts';

/** Events sent by our own users are echoes of our sends; membership events are kept all the same. */
export function keptEvents(events: ClientEvent[], isOwnUser: (userId: string) => boolean): ClientEvent[] {
  return events.filter((e) => e.type === 'm.room.member' || !isOwnUser(e.sender));
}

/**
 * Stores room events for the event worker, in the order given, in one round trip. An event ID
 * already stored is ignored, so the same event may come from a redelivered transaction and from
 * the catch-up sweep without being handled twice. Returns how many were new.
 */
export async function insertEvents(db: Queryable, events: ClientEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const result = await db.query(
    `INSERT INTO matrix_events (event_id, room_id, type, sender, state_key, content, event, origin_server_ts)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::bigint[])
     ON CONFLICT (event_id) DO NOTHING`,
    [
      events.map((e) => e.event_id),
      events.map((e) => e.room_id),
      events.map((e) => e.type),
      events.map((e) => e.sender),
      events.map((e) => e.state_key ?? null),
      events.map((e) => JSON.stringify(e.content ?? {})),
      events.map((e) => JSON.stringify(e)),
      events.map((e) => e.origin_server_ts ?? null),
    ],
  );
  return result.rowCount ?? 0;
}
