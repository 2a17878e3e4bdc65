import type { Queryable } from '../../bridge/store/db.ts';

export type OfferState = 'pending' | 'accepted' | 'declined' | 'expired' | 'withdrawn';
export type OfferKind = 'queue' | 'reopen' | 'transfer';

export interface Offer {
  id: string;
  conversationId: string;
  agentId: string;
  userId: string;
  spaceId: string;
  kind: OfferKind;
  policy: string;
  episode: number;
  byInvite: boolean;
  offeredBy: string | null;
  state: OfferState;
  offeredAt: Date;
  expiresAt: Date | null;
}

interface Row {
  id: string;
  conversation_id: string;
  agent_id: string;
  user_id: string;
  space_id: string;
  kind: OfferKind;
  policy: string;
  episode: number;
  by_invite: boolean;
  offered_by: string | null;
  state: OfferState;
  offered_at: Date;
  expires_at: Date | null;
}

const toOffer = (r: Row): Offer => ({
  id: r.id,
  conversationId: r.conversation_id,
  agentId: r.agent_id,
  userId: r.user_id,
  spaceId: r.space_id,
  kind: r.kind,
  policy: r.policy,
  episode: r.episode,
  byInvite: r.by_invite,
  offeredBy: r.offered_by,
  state: r.state,
  offeredAt: r.offered_at,
  expiresAt: r.expires_at,
});

const SELECT = 'SELECT o.*, a.user_id FROM offers o JOIN agents a ON a.id = o.agent_id';

export interface NewOffer {
  conversationId: string;
  agentId: string;
  spaceId: string;
  kind: OfferKind;
  policy: string;
  episode: number;
  offeredAt: Date;
  expiresAt: Date | null;
  offeredBy?: string;
  /** A closed offer recorded for history (an agent who gave the conversation back). */
  state?: OfferState;
  closeReason?: string;
}

export async function insertOffer(db: Queryable, offer: NewOffer): Promise<string> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO offers (conversation_id, agent_id, space_id, kind, policy, episode, offered_at, expires_at,
       offered_by, state, closed_at, close_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9, $10::text,
       CASE WHEN $10::text = 'pending' THEN NULL ELSE $7::timestamptz END, $11)
     RETURNING id`,
    [
      offer.conversationId,
      offer.agentId,
      offer.spaceId,
      offer.kind,
      offer.policy,
      offer.episode,
      offer.offeredAt,
      offer.expiresAt,
      offer.offeredBy ?? null,
      offer.state ?? 'pending',
      offer.closeReason ?? null,
    ],
  );
  return result.rows[0]!.id;
}

export async function getOffer(db: Queryable, id: string): Promise<Offer | undefined> {
  const result = await db.query<Row>(`${SELECT} WHERE o.id = $1`, [id]);
  return result.rows[0] && toOffer(result.rows[0]);
}

export async function pendingOffers(
  db: Queryable,
  where: { conversationId: string } | { agentId: string },
): Promise<Offer[]> {
  const [column, value] =
    'conversationId' in where ? ['o.conversation_id', where.conversationId] : ['o.agent_id', where.agentId];
  const result = await db.query<Row>(
    `${SELECT} WHERE ${column} = $1 AND o.state = 'pending' ORDER BY o.offered_at`,
    [value],
  );
  return result.rows.map(toOffer);
}

/** Offers of some conversations in their current waits (episode), every state. */
export async function offersOfEpisodes(
  db: Queryable,
  entries: readonly { id: string; episode: number }[],
): Promise<Offer[]> {
  if (entries.length === 0) return [];
  const result = await db.query<Row>(
    `${SELECT} JOIN unnest($1::uuid[], $2::int[]) AS e(id, episode)
       ON e.id = o.conversation_id AND e.episode = o.episode`,
    [entries.map((e) => e.id), entries.map((e) => e.episode)],
  );
  return result.rows.map(toOffer);
}

/** Closes pending offers; returns those it closed (only pending ones change). */
export async function closeOffers(
  db: Queryable,
  ids: readonly string[],
  state: Exclude<OfferState, 'pending'>,
  reason: string,
  now: Date,
): Promise<Offer[]> {
  if (ids.length === 0) return [];
  const result = await db.query<{ id: string }>(
    `UPDATE offers SET state = $2, closed_at = $3, close_reason = $4
     WHERE id = ANY($1::uuid[]) AND state = 'pending' RETURNING id`,
    [ids, state, now, reason],
  );
  const closed = new Set(result.rows.map((r) => r.id));
  const all = await db.query<Row>(`${SELECT} WHERE o.id = ANY($1::uuid[])`, [[...closed]]);
  return all.rows.map(toOffer);
}

export async function markOfferDelivered(db: Queryable, id: string, byInvite: boolean): Promise<void> {
  await db.query('UPDATE offers SET by_invite = $2 WHERE id = $1', [id, byInvite]);
}
