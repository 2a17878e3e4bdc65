import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import { noticeContent, sendEventOnce } from '../../bridge/matrix/send.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { enqueueEffects } from '../effects/types.ts';
import { loadConversation } from '../lifecycle/conversation.ts';
import { unassign, type TransitionContext } from '../lifecycle/transitions.ts';
import { closeOffers, pendingOffers } from '../routing/offers.ts';
import { alreadyDone } from './matrix-errors.ts';

/** An open conversation as closing it needs it. */
export interface OpenConversation {
  id: string;
  roomId: string | null;
  ghostLocalpart: string;
}

export async function openConversations(
  db: Queryable,
  where: { spaceId: string } | { senderId: string },
): Promise<OpenConversation[]> {
  const [column, value] = 'spaceId' in where ? ['space_id', where.spaceId] : ['sender_id', where.senderId];
  const result = await db.query<{ id: string; room_id: string | null; ghost_localpart: string }>(
    `SELECT c.id, c.room_id, ct.ghost_localpart FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
     WHERE c.${column} = $1 AND c.archived_at IS NULL ORDER BY c.created_at`,
    [value],
  );
  return result.rows.map((r) => ({ id: r.id, roomId: r.room_id, ghostLocalpart: r.ghost_localpart }));
}

/**
 * Closes a conversation for good (its space or sender is being deleted): a notice in its room, the
 * customer's ghost and the bot leave, and the row is archived. Safe to repeat.
 */
export async function closeConversation(
  db: Queryable,
  matrix: MatrixGateway,
  conversation: OpenConversation,
  reason: string,
): Promise<void> {
  if (conversation.roomId) {
    const roomId = conversation.roomId;
    await alreadyDone(() =>
      sendEventOnce(
        matrix.botIntent,
        roomId,
        'm.room.message',
        noticeContent(`This conversation was closed: ${reason}.`),
        `conversation-closed:${conversation.id}`,
      ),
    );
    const ghost = `@${conversation.ghostLocalpart}:${matrix.domain}`;
    await alreadyDone(() => matrix.intent(ghost).matrixClient.leaveRoom(roomId, reason));
    await alreadyDone(() => matrix.botIntent.matrixClient.leaveRoom(roomId, reason));
  }
  await db.query(
    `UPDATE conversations SET state = 'archived', archived_at = now() WHERE id = $1 AND archived_at IS NULL`,
    [conversation.id],
  );
}

/**
 * Takes an agent's work off them (the agent lost their seat): offers waiting for them are
 * withdrawn, and their assigned conversations go back to the front of the queue (routing offers
 * them to others, from the effects this queues). Returns the requeued conversations' ids.
 */
export async function requeueAgentConversations(
  db: Queryable,
  agentId: string,
  now: Date,
): Promise<string[]> {
  const ctx: TransitionContext = {
    now,
    actor: 'system',
    observer: { assigned: () => undefined, resolved: () => undefined },
    after: [],
  };
  const reason = 'The agent was removed from the space';
  const offers = await pendingOffers(db, { agentId });
  for (const offer of await closeOffers(
    db,
    offers.map((o) => o.id),
    'withdrawn',
    reason,
    now,
  )) {
    await enqueueEffects(db, offer.conversationId, [
      { type: 'withdraw', userId: offer.userId, reason },
      { type: 'route', spaceId: offer.spaceId },
    ]);
  }
  const assigned = await db.query<{ id: string }>(
    `SELECT id FROM conversations WHERE assigned_agent_id = $1 AND state = 'assigned' AND archived_at IS NULL
     ORDER BY id FOR UPDATE`,
    [agentId],
  );
  for (const { id } of assigned.rows) {
    const conversation = await loadConversation(db, id, { lock: true });
    if (conversation?.state === 'assigned')
      await unassign(db, conversation, ctx, { reason, removeAgent: true });
  }
  return assigned.rows.map((r) => r.id);
}
