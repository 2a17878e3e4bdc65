import type { ClientEvent } from '../../bridge/matrix/appservice.ts';
import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { logger } from '../../bridge/log.ts';
import { enqueueEffects } from '../effects/types.ts';
import { recordJourney } from '../journey/store.ts';
import { conversationByRoom, loadConversation, type LiveConversation } from '../lifecycle/conversation.ts';
import { livechatSettings } from '../lifecycle/space.ts';
import { assign, unassign, type TransitionContext } from '../lifecycle/transitions.ts';
import { agentByUser, hasCapacity, type SpaceAgent } from './agents.ts';
import { closeOffers, pendingOffers } from './offers.ts';
import type { Router } from './router.ts';

const log = logger('bot.routing.events');

export interface RoutingEventDeps {
  db: Queryable;
  matrix: MatrixGateway;
  router: Router;
  commandPrefix: string;
  firstResponse(seconds: number): void;
}

/*
 * What agents do in conversation rooms decides assignments: joining on an offer takes the
 * conversation (the first join wins: the row lock and the state check make it exactly one);
 * leaving or refusing passes it on; writing to the customer while the bot or the queue has it
 * takes it over. Events of a room come one at a time, in order (EventRouter).
 */
export function createRoutingEventHandler(deps: RoutingEventDeps): (event: ClientEvent) => Promise<void> {
  const { matrix, router } = deps;

  async function withConversation(
    roomId: string,
    userId: string,
    actor: string,
    fn: (
      tx: Queryable,
      conversation: LiveConversation,
      agent: SpaceAgent,
      ctx: TransitionContext,
    ) => Promise<void>,
  ): Promise<void> {
    const found = await conversationByRoom(deps.db, roomId);
    if (!found || found.state === 'archived') return;
    await router.run(actor, async (tx, ctx) => {
      const conversation = await loadConversation(tx, found.id, { lock: true });
      if (!conversation || conversation.state === 'archived') return;
      const agent = await agentByUser(tx, conversation.spaceId, userId);
      if (!agent) return;
      await fn(tx, conversation, agent, ctx);
    });
  }

  async function joined(
    tx: Queryable,
    conversation: LiveConversation,
    agent: SpaceAgent,
    ctx: TransitionContext,
  ) {
    const offers = await pendingOffers(tx, { conversationId: conversation.id });
    const offer = offers.find((o) => o.agentId === agent.id);
    if (conversation.state === 'queued') {
      if (!hasCapacity(agent)) {
        const reason = `You already have ${agent.open} conversations, your limit`;
        if (offer) await closeOffers(tx, [offer.id], 'withdrawn', reason, ctx.now);
        await enqueueEffects(tx, conversation.id, [
          { type: 'withdraw', userId: agent.userId, reason },
          { type: 'route', spaceId: conversation.spaceId },
        ]);
        return;
      }
      const policy = offer?.policy ?? (await livechatSettings(tx, conversation.spaceId)).policy;
      await assign(tx, conversation, agent, ctx, { via: 'offer', policy });
      log.info({ conversationId: conversation.id, agent: agent.userId }, 'assigned');
    } else if (conversation.state === 'assigned') {
      if (conversation.assignedAgentId === agent.id) return;
      if (offer?.kind === 'transfer') {
        await assign(tx, conversation, agent, ctx, { via: 'transfer', policy: 'transfer' });
        return;
      }
      if (agent.role === 'admin') return;
      const holder = await tx.query<{ user_id: string }>('SELECT user_id FROM agents WHERE id = $1', [
        conversation.assignedAgentId,
      ]);
      const reason = `Taken by ${holder.rows[0]?.user_id ?? 'another agent'}`;
      if (offer) await closeOffers(tx, [offer.id], 'withdrawn', reason, ctx.now);
      await enqueueEffects(tx, conversation.id, [{ type: 'withdraw', userId: agent.userId, reason }]);
    }
  }

  async function left(
    tx: Queryable,
    conversation: LiveConversation,
    agent: SpaceAgent,
    ctx: TransitionContext,
  ) {
    const offer = (await pendingOffers(tx, { conversationId: conversation.id })).find(
      (o) => o.agentId === agent.id,
    );
    if (offer) {
      await closeOffers(tx, [offer.id], 'declined', 'declined', ctx.now);
      await recordJourney(tx, {
        contactId: conversation.contactId,
        conversationId: conversation.id,
        type: 'offer-closed',
        actor: agent.userId,
        detail: { agent: agent.userId, kind: offer.kind, outcome: 'declined' },
        at: ctx.now,
      });
      await enqueueEffects(tx, conversation.id, [{ type: 'route', spaceId: conversation.spaceId }]);
    }
    if (conversation.state === 'assigned' && conversation.assignedAgentId === agent.id) {
      await unassign(tx, conversation, ctx, { reason: `${agent.userId} left the room`, removeAgent: false });
    }
  }

  async function wrote(
    tx: Queryable,
    conversation: LiveConversation,
    agent: SpaceAgent,
    ctx: TransitionContext,
  ) {
    // Writing is how an agent already in the room takes an offer (a mention) or takes over.
    const offer = (await pendingOffers(tx, { conversationId: conversation.id })).find(
      (o) => o.agentId === agent.id,
    );
    if (conversation.state === 'bot' || conversation.state === 'queued') {
      const waitingSince = conversation.state === 'queued' ? conversation.queuedAt : conversation.openedAt;
      await assign(
        tx,
        conversation,
        agent,
        ctx,
        offer ? { via: 'offer', policy: offer.policy } : { via: 'takeover', policy: 'takeover' },
      );
      await tx.query('UPDATE conversations SET first_response_at = $2 WHERE id = $1', [
        conversation.id,
        ctx.now,
      ]);
      if (waitingSince)
        ctx.after.push(() => deps.firstResponse((ctx.now.getTime() - waitingSince.getTime()) / 1000));
      return;
    }
    if (conversation.state !== 'assigned') return;
    if (conversation.assignedAgentId !== agent.id) {
      if (offer?.kind === 'transfer')
        await assign(tx, conversation, agent, ctx, { via: 'transfer', policy: 'transfer' });
      return;
    }
    if (!conversation.firstResponseAt) {
      await tx.query(
        'UPDATE conversations SET first_response_at = $2 WHERE id = $1 AND first_response_at IS NULL',
        [conversation.id, ctx.now],
      );
      const since = conversation.queuedAt ?? conversation.assignedAt;
      if (since) ctx.after.push(() => deps.firstResponse((ctx.now.getTime() - since.getTime()) / 1000));
    }
  }

  return async (event) => {
    if (event.type === 'm.room.member') {
      const userId = event.state_key;
      if (!userId || matrix.isOwnUser(userId)) return;
      const membership = (event.content as { membership?: string }).membership;
      const before = (event.unsigned?.prev_content as { membership?: string } | undefined)?.membership;
      if (membership === 'join' && before !== 'join') {
        await withConversation(event.room_id, userId, userId, joined);
      } else if (membership === 'leave' && event.sender === userId && before !== 'leave') {
        await withConversation(event.room_id, userId, userId, left);
      }
      return;
    }
    if (event.type !== 'm.room.message' || matrix.isOwnUser(event.sender)) return;
    const content = event.content as {
      msgtype?: string;
      body?: unknown;
      'm.relates_to'?: { rel_type?: string };
      'm.new_content'?: unknown;
    };
    if (content.msgtype === 'm.notice' || content['m.new_content']) return;
    const relation = content['m.relates_to']?.rel_type;
    if (relation === 'm.thread' || relation === 'm.replace') return;
    if (typeof content.body === 'string' && content.body.trim().startsWith(deps.commandPrefix)) return;
    await withConversation(event.room_id, event.sender, event.sender, wrote);
  };
}
