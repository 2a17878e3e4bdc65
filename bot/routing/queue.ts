import type { Queryable } from '../../bridge/store/db.ts';
import { enqueueEffects } from '../effects/types.ts';
import { conversationMessages } from '../lifecycle/messages.ts';
import { renderMessage } from '../spaces/messages.ts';
import { shouldNotifyPosition } from './plan.ts';

/*
 * The queue of a space: its queued conversations, requeued ones (priority 1) first, then oldest
 * first. Customers learn their place when they enter it and when it changes (at most once a minute).
 */

const ORDER = 'queue_priority DESC, queued_at, id';

export interface Queued {
  id: string;
  contactId: string;
  episode: number;
  lastAgentId: string | null;
  queuedAt: Date;
  positionNotified: number | null;
  positionNotifiedAt: Date | null;
  positionUpdates: number;
  offlineNotified: boolean;
}

export async function spaceQueue(db: Queryable, spaceId: string, limit = 500): Promise<Queued[]> {
  const result = await db.query<{
    id: string;
    contact_id: string;
    queue_episode: number;
    last_agent_id: string | null;
    queued_at: Date;
    position_notified: number | null;
    position_notified_at: Date | null;
    position_updates: number;
    offline_notified: boolean;
  }>(
    `SELECT id, contact_id, queue_episode, last_agent_id, queued_at, position_notified, position_notified_at,
       position_updates, offline_notified_at IS NOT NULL AS offline_notified
     FROM conversations WHERE space_id = $1 AND state = 'queued' AND archived_at IS NULL
     ORDER BY ${ORDER} LIMIT $2`,
    [spaceId, limit],
  );
  return result.rows.map((r) => ({
    id: r.id,
    contactId: r.contact_id,
    episode: r.queue_episode,
    lastAgentId: r.last_agent_id,
    queuedAt: r.queued_at,
    positionNotified: r.position_notified,
    positionNotifiedAt: r.position_notified_at,
    positionUpdates: r.position_updates,
    offlineNotified: r.offline_notified,
  }));
}

/** 1 for the next conversation to be served. */
export async function queuePosition(db: Queryable, conversationId: string): Promise<number> {
  const result = await db.query<{ position: number }>(
    `SELECT count(*)::int + 1 AS position FROM conversations o, conversations c
     WHERE c.id = $1 AND o.space_id = c.space_id AND o.state = 'queued' AND o.archived_at IS NULL AND o.id <> c.id
       AND (o.queue_priority > c.queue_priority
         OR (o.queue_priority = c.queue_priority AND (o.queued_at, o.id) < (c.queued_at, c.id)))`,
    [conversationId],
  );
  return result.rows[0]?.position ?? 1;
}

export async function markPositionNotified(
  db: Queryable,
  conversationId: string,
  position: number,
  at: Date,
): Promise<void> {
  await db.query(
    `UPDATE conversations SET position_notified = $2, position_notified_at = $3, position_updates = position_updates + 1
     WHERE id = $1`,
    [conversationId, position, at],
  );
}

/** Tells waiting customers whose place changed (throttled); returns how many were told. */
export async function notifyPositions(db: Queryable, spaceId: string, now: Date): Promise<number> {
  const queue = await spaceQueue(db, spaceId);
  let told = 0;
  for (const [i, entry] of queue.entries()) {
    const position = i + 1;
    const notified = { position: entry.positionNotified, at: entry.positionNotifiedAt };
    // Only customers who were told a place, and not since told that nobody can answer.
    if (entry.positionNotified === null || entry.offlineNotified) continue;
    if (!shouldNotifyPosition(position, notified, now)) continue;
    const messages = await conversationMessages(db, entry.id);
    await enqueueEffects(db, entry.id, [
      {
        type: 'customer',
        cause: `position:${entry.id}:${entry.episode}:${entry.positionUpdates + 1}`,
        message: { text: renderMessage(messages.position, { position }) },
      },
    ]);
    await markPositionNotified(db, entry.id, position, now);
    told++;
  }
  return told;
}
