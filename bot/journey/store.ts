import type { Queryable } from '../../bridge/store/db.ts';

/*
 * The contact's journey: one row per thing that happened to them, with who did it and when.
 * Types in use: transition {from, to, event}, handover {reason, skill, trigger}, offer, offer-closed,
 * assignment, transfer, unassign, takeover, resolve, reopen, archive, campaign-start, campaign-end,
 * option-chosen, attribute-set, offline-form. Later features (tags, notes) add their own types.
 */

/** Who did it: a Matrix ID, or one of these. */
export type JourneyActor = 'bot' | 'customer' | 'system' | (string & {});

export interface JourneyEntry {
  contactId: string;
  conversationId: string | null;
  type: string;
  actor: JourneyActor;
  detail?: Record<string, unknown>;
  at: Date;
  /** Makes a retried step record once: the same cause again is ignored. */
  cause?: string;
}

export interface JourneyRecord {
  id: string;
  contactId: string;
  conversationId: string | null;
  type: string;
  actor: string;
  detail: Record<string, unknown>;
  at: Date;
}

export async function recordJourney(db: Queryable, entry: JourneyEntry): Promise<void> {
  await db.query(
    `INSERT INTO journey (contact_id, conversation_id, type, actor, detail, at, cause)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (cause) DO NOTHING`,
    [
      entry.contactId,
      entry.conversationId,
      entry.type,
      entry.actor,
      JSON.stringify(entry.detail ?? {}),
      entry.at,
      entry.cause ?? null,
    ],
  );
}

/** A contact's journey, oldest first (the latest `limit` entries). */
export async function listJourney(
  db: Queryable,
  contactId: string,
  options: { limit?: number; conversationId?: string } = {},
): Promise<JourneyRecord[]> {
  const values: unknown[] = [contactId, options.limit ?? 500];
  let where = 'contact_id = $1';
  if (options.conversationId) {
    values.push(options.conversationId);
    where += ` AND conversation_id = $${values.length}`;
  }
  const result = await db.query<{
    id: string;
    contact_id: string;
    conversation_id: string | null;
    type: string;
    actor: string;
    detail: Record<string, unknown>;
    at: Date;
  }>(
    `SELECT * FROM (SELECT id, contact_id, conversation_id, type, actor, detail, at FROM journey
       WHERE ${where} ORDER BY at DESC, id DESC LIMIT $2) latest ORDER BY at, id`,
    values,
  );
  return result.rows.map((r) => ({
    id: r.id,
    contactId: r.contact_id,
    conversationId: r.conversation_id,
    type: r.type,
    actor: r.actor,
    detail: r.detail,
    at: r.at,
  }));
}
