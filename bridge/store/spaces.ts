import type { Queryable } from './db.ts';

/** A tenant as the bridge sees it: a name and its Matrix space. */
export interface Space {
  id: string;
  name: string;
  spaceRoomId: string | null;
  /** SMS keyword replies; unset keys use the built-in texts (bridge/inbox/keywords.ts). */
  smsReplies: SmsReplies;
}

export interface SmsReplies {
  help?: string;
  stop?: string;
  start?: string;
}

interface SpaceRow {
  id: string;
  name: string;
  space_room_id: string | null;
  sms_replies: SmsReplies;
}

const toSpace = (row: SpaceRow): Space => ({
  id: row.id,
  name: row.name,
  spaceRoomId: row.space_room_id,
  smsReplies: row.sms_replies ?? {},
});

export async function createSpace(db: Queryable, input: { name: string; id?: string }): Promise<Space> {
  const result = await db.query<SpaceRow>(
    'INSERT INTO spaces (id, name) VALUES (COALESCE($1::uuid, gen_random_uuid()), $2) RETURNING *',
    [input.id ?? null, input.name],
  );
  return toSpace(result.rows[0]!);
}

export async function getSpace(db: Queryable, id: string): Promise<Space | undefined> {
  const result = await db.query<SpaceRow>('SELECT * FROM spaces WHERE id = $1', [id]);
  return result.rows[0] ? toSpace(result.rows[0]) : undefined;
}

/** Replaces the given SMS keyword replies; a null value restores the built-in text. */
export async function setSmsReplies(
  db: Queryable,
  spaceId: string,
  replies: { [K in keyof SmsReplies]?: string | null },
): Promise<void> {
  await db.query(
    `UPDATE spaces SET sms_replies = jsonb_strip_nulls(sms_replies || $2::jsonb), updated_at = now() WHERE id = $1`,
    [spaceId, JSON.stringify(replies)],
  );
}
