import type { Queryable } from './db.ts';

/** Whether the contact told this sender to stop (SMS STOP and friends). */
export async function isOptedOut(db: Queryable, senderId: string, contactId: string): Promise<boolean> {
  const result = await db.query<{ opted_out: boolean }>(
    'SELECT opted_out FROM opt_outs WHERE sender_id = $1 AND contact_id = $2',
    [senderId, contactId],
  );
  return result.rows[0]?.opted_out ?? false;
}

/** Sets the state; returns whether it changed (a second STOP, or START without a STOP, does not). */
export async function setOptOut(
  db: Queryable,
  senderId: string,
  contactId: string,
  optedOut: boolean,
  keyword: string,
): Promise<boolean> {
  const result = await db.query<{ before: boolean | null }>(
    `WITH before AS (SELECT opted_out FROM opt_outs WHERE sender_id = $1 AND contact_id = $2),
     up AS (
       INSERT INTO opt_outs (sender_id, contact_id, opted_out, keyword) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sender_id, contact_id) DO UPDATE
         SET opted_out = EXCLUDED.opted_out, keyword = EXCLUDED.keyword, changed_at = now()
     )
     SELECT (SELECT opted_out FROM before) AS before`,
    [senderId, contactId, optedOut, keyword],
  );
  return (result.rows[0]?.before ?? false) !== optedOut;
}
