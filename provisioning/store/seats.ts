import type { Queryable } from '../../bridge/store/db.ts';

/** The seat counter of a space: agents hold seats, open invitations reserve them. */
export interface Seats {
  limit: number;
  used: number;
  pending: number;
  available: number;
}

export const SEATS_SQL = `
  (SELECT count(*) FROM agents a WHERE a.space_id = s.id)::int AS seats_used,
  (SELECT count(*) FROM invitations i
     WHERE i.space_id = s.id AND i.status = 'pending' AND i.expires_at > $NOW)::int AS seats_pending`;

/** SEATS_SQL with the time parameter's placeholder. */
export function seatsSql(nowParam: number): string {
  return SEATS_SQL.replace('$NOW', `$${nowParam}`);
}

export function seatsOf(limit: number, used: number, pending: number): Seats {
  return { limit, used, pending, available: Math.max(0, limit - used - pending) };
}

export async function countSeats(db: Queryable, spaceId: string, now: Date): Promise<Seats | undefined> {
  const result = await db.query<{ seat_limit: number; seats_used: number; seats_pending: number }>(
    `SELECT s.seat_limit, ${seatsSql(2)} FROM spaces s WHERE s.id = $1`,
    [spaceId, now],
  );
  const row = result.rows[0];
  return row && seatsOf(row.seat_limit, row.seats_used, row.seats_pending);
}
