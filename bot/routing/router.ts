import type { Clock } from '../../bridge/context.ts';
import type { Database, Queryable } from '../../bridge/store/db.ts';
import { logger } from '../../bridge/log.ts';
import { enqueueEffects, type Effect } from '../effects/types.ts';
import { recordJourney } from '../journey/store.ts';
import { loadConversation, type LiveConversation } from '../lifecycle/conversation.ts';
import { conversationMessages } from '../lifecycle/messages.ts';
import { livechatSettings } from '../lifecycle/space.ts';
import { goOffline, type LifecycleObserver, type TransitionContext } from '../lifecycle/transitions.ts';
import { spaceAgents, type SpaceAgent } from './agents.ts';
import { closeOffers, getOffer, insertOffer, offersOfEpisodes, pendingOffers, type Offer } from './offers.ts';
import { planOffers, type QueueEntry } from './plan.ts';
import { notifyPositions, spaceQueue } from './queue.ts';

const log = logger('bot.routing');

export interface RoutingMetrics {
  offered(policy: string, kind: string): void;
  offerExpired(policy: string): void;
}

export interface RouterDeps {
  db: Database;
  clock: Clock;
  metrics: RoutingMetrics;
  observer: LifecycleObserver;
  /** Effects were queued: run them now rather than at the next poll. */
  wake(): void;
}

/**
 * Offers queued conversations to agents (planOffers under a per-space lock, so two processes never
 * offer the same conversation twice), and handles what happens to offers over time: timeouts,
 * agents going offline, transfers, and customers waiting longer than the space allows.
 */
export class Router {
  private readonly deps: RouterDeps;

  constructor(deps: RouterDeps) {
    this.deps = deps;
  }

  /** A transition context for work done by the system (sweeps, routing). */
  context(actor = 'system'): TransitionContext {
    return { now: this.deps.clock.now(), actor, observer: this.deps.observer, after: [] };
  }

  /** Runs fn in a transaction with a context, then the context's after-commit steps and a wake. */
  async run<T>(actor: string, fn: (tx: Queryable, ctx: TransitionContext) => Promise<T>): Promise<T> {
    const ctx = this.context(actor);
    const result = await this.deps.db.tx((tx) => fn(tx, ctx));
    for (const step of ctx.after) step();
    this.deps.wake();
    return result;
  }

  /** Offers the space's queue to its free agents; returns the number of new offers. */
  async routeSpace(spaceId: string): Promise<number> {
    const planned = await this.run('system', async (tx, ctx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`route:${spaceId}`]);
      const settings = await livechatSettings(tx, spaceId);
      if (!settings.livechatEnabled) return [];
      const queue = await spaceQueue(tx, spaceId);
      if (queue.length === 0) return [];
      const offers = await offersOfEpisodes(
        tx,
        queue.map((q) => ({ id: q.id, episode: q.episode })),
      );
      const agents = await spaceAgents(tx, spaceId);
      const entries = queue.map((q) => queueEntry(q, offers, agents));
      const plan = planOffers(settings.policy, entries, agents);
      const timeout = settings.offerTimeoutSeconds * 1000;
      for (const p of plan) {
        const entry = queue.find((q) => q.id === p.conversationId)!;
        const agent = agents.find((a) => a.id === p.agentId)!;
        const offerId = await insertOffer(tx, {
          conversationId: p.conversationId,
          agentId: p.agentId,
          spaceId,
          kind: p.kind,
          policy: settings.policy,
          episode: entry.episode,
          offeredAt: ctx.now,
          expiresAt: p.timed ? new Date(ctx.now.getTime() + timeout) : null,
        });
        await tx.query('UPDATE agents SET last_offered_at = $2 WHERE id = $1', [p.agentId, ctx.now]);
        await recordJourney(tx, {
          contactId: entry.contactId,
          conversationId: entry.id,
          type: 'offer',
          actor: 'system',
          detail: { agent: agent.userId, kind: p.kind, policy: settings.policy, timed: p.timed },
          at: ctx.now,
        });
        await enqueueEffects(tx, p.conversationId, [{ type: 'offer', offerId }]);
        ctx.after.push(() => this.deps.metrics.offered(settings.policy, p.kind));
      }
      await notifyPositions(tx, spaceId, ctx.now);
      return plan;
    });
    if (planned.length) log.debug({ spaceId, offers: planned.length }, 'offered queued conversations');
    return planned.length;
  }

  /** Routes every space with someone waiting (the periodic sweep catches what events missed). */
  async routeAll(): Promise<void> {
    const spaces = await this.deps.db.query<{ space_id: string }>(
      `SELECT DISTINCT space_id FROM conversations WHERE state = 'queued' AND archived_at IS NULL`,
    );
    for (const { space_id } of spaces.rows) await this.routeSpace(space_id);
  }

  /** Offers past their timeout move on: the invitation is taken back and the next agent asked. */
  async expireOffers(): Promise<number> {
    const now = this.deps.clock.now();
    const due = await this.deps.db.query<{ id: string }>(
      `SELECT id FROM offers WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at`,
      [now],
    );
    let expired = 0;
    for (const { id } of due.rows) {
      const done = await this.run('system', async (tx, ctx) => {
        const offer = await getOffer(tx, id);
        if (!offer || offer.state !== 'pending') return false;
        const conversation = await loadConversation(tx, offer.conversationId, { lock: true });
        if (!conversation) return false;
        const seconds = Math.round(((offer.expiresAt?.getTime() ?? 0) - offer.offeredAt.getTime()) / 1000);
        const reason = `Not taken within ${seconds} s: offered to someone else`;
        const [closed] = await closeOffers(tx, [id], 'expired', reason, ctx.now);
        if (!closed) return false;
        await this.closed(tx, conversation, closed, 'expired', ctx);
        const effects: Effect[] = [];
        if (closed.byInvite) effects.push({ type: 'withdraw', userId: closed.userId, reason });
        if (closed.kind === 'transfer') {
          effects.push({
            type: 'notice',
            cause: `transfer-expired:${closed.id}`,
            text: `${closed.userId} did not take the transfer within ${seconds} s; the conversation stays here.`,
          });
        }
        effects.push({ type: 'route', spaceId: conversation.spaceId });
        await enqueueEffects(tx, conversation.id, effects);
        ctx.after.push(() => this.deps.metrics.offerExpired(closed.policy));
        return true;
      });
      if (done) expired++;
    }
    return expired;
  }

  /** Customers waiting past the space's limit get the offline message (and form), once per wait. */
  async remindLongWaits(): Promise<number> {
    const now = this.deps.clock.now();
    const due = await this.deps.db.query<{ id: string }>(
      `SELECT c.id FROM conversations c JOIN spaces s ON s.id = c.space_id
       WHERE c.state = 'queued' AND c.archived_at IS NULL AND c.offline_notified_at IS NULL
         AND c.queued_at <= $1::timestamptz - make_interval(secs => s.max_wait_seconds)`,
      [now],
    );
    let told = 0;
    for (const { id } of due.rows) {
      const done = await this.run('system', async (tx, ctx) => {
        const conversation = await loadConversation(tx, id, { lock: true });
        if (!conversation || conversation.state !== 'queued' || conversation.offlineNotifiedAt) return false;
        const settings = await livechatSettings(tx, conversation.spaceId);
        const messages = await conversationMessages(tx, conversation.id);
        const effects = await goOffline(tx, conversation, settings, messages, ctx, {
          reason: `no agent took it within ${settings.maxWaitSeconds} s`,
        });
        await enqueueEffects(tx, conversation.id, effects);
        return true;
      });
      if (done) told++;
    }
    return told;
  }

  /** An agent went offline: offers waiting for their answer go to others. */
  async agentOffline(agent: SpaceAgent): Promise<number> {
    const count = await this.run(agent.userId, async (tx, ctx) => {
      const offers = await pendingOffers(tx, { agentId: agent.id });
      const reason = `${agent.userId} went offline`;
      const closed = await closeOffers(
        tx,
        offers.map((o) => o.id),
        'withdrawn',
        reason,
        ctx.now,
      );
      for (const offer of closed) {
        const conversation = await loadConversation(tx, offer.conversationId);
        if (conversation) await this.closed(tx, conversation, offer, 'withdrawn', ctx, reason);
        await enqueueEffects(tx, offer.conversationId, [
          ...(offer.byInvite ? [{ type: 'withdraw' as const, userId: offer.userId, reason }] : []),
        ]);
      }
      return closed.length;
    });
    await this.routeSpace(agent.spaceId);
    return count;
  }

  /** Offers an assigned conversation to another agent; it stays with the current one until they join. */
  async offerTransfer(conversationId: string, target: SpaceAgent, by: string): Promise<void> {
    await this.run(by, async (tx, ctx) => {
      const conversation = await loadConversation(tx, conversationId, { lock: true });
      if (!conversation || conversation.state !== 'assigned') {
        throw new TransferError('Only a conversation assigned to an agent can be transferred.');
      }
      const settings = await livechatSettings(tx, conversation.spaceId);
      const earlier = (await pendingOffers(tx, { conversationId })).filter((o) => o.kind === 'transfer');
      const replaced = await closeOffers(
        tx,
        earlier.map((o) => o.id),
        'withdrawn',
        `Transfer offered to ${target.userId} instead`,
        ctx.now,
      );
      for (const offer of replaced) {
        if (offer.byInvite) {
          await enqueueEffects(tx, conversationId, [
            {
              type: 'withdraw',
              userId: offer.userId,
              reason: `Transfer offered to ${target.userId} instead`,
            },
          ]);
        }
      }
      const offerId = await insertOffer(tx, {
        conversationId,
        agentId: target.id,
        spaceId: conversation.spaceId,
        kind: 'transfer',
        policy: 'transfer',
        episode: conversation.queueEpisode,
        offeredAt: ctx.now,
        expiresAt: new Date(ctx.now.getTime() + settings.offerTimeoutSeconds * 1000),
        offeredBy: by,
      });
      await recordJourney(tx, {
        contactId: conversation.contactId,
        conversationId,
        type: 'offer',
        actor: by,
        detail: { agent: target.userId, kind: 'transfer', timeoutSeconds: settings.offerTimeoutSeconds },
        at: ctx.now,
      });
      await enqueueEffects(tx, conversationId, [{ type: 'offer', offerId }]);
      ctx.after.push(() => this.deps.metrics.offered('transfer', 'transfer'));
    });
  }

  /** An offer could not be delivered (the invitation failed for good): ask someone else. */
  async offerUndeliverable(offerId: string, reason: string): Promise<void> {
    await this.run('system', async (tx, ctx) => {
      const [closed] = await closeOffers(tx, [offerId], 'withdrawn', reason, ctx.now);
      if (!closed) return;
      const conversation = await loadConversation(tx, closed.conversationId);
      if (!conversation) return;
      await this.closed(tx, conversation, closed, 'withdrawn', ctx, reason);
      await enqueueEffects(tx, conversation.id, [{ type: 'route', spaceId: conversation.spaceId }]);
    });
  }

  private async closed(
    tx: Queryable,
    conversation: LiveConversation,
    offer: Offer,
    outcome: string,
    ctx: TransitionContext,
    reason?: string,
  ): Promise<void> {
    await recordJourney(tx, {
      contactId: conversation.contactId,
      conversationId: conversation.id,
      type: 'offer-closed',
      actor: ctx.actor,
      detail: { agent: offer.userId, kind: offer.kind, outcome, ...(reason ? { reason } : {}) },
      at: ctx.now,
    });
  }
}

/** A transfer that cannot be made; the message is for the agent who asked. */
export class TransferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransferError';
  }
}

function queueEntry(
  queued: { id: string; lastAgentId: string | null },
  offers: readonly Offer[],
  agents: readonly SpaceAgent[],
): QueueEntry {
  const mine = offers.filter((o) => o.conversationId === queued.id);
  const last = queued.lastAgentId;
  return {
    id: queued.id,
    lastAgentId: last,
    pending: mine
      .filter((o) => o.state === 'pending')
      .map((o) => ({ agentId: o.agentId, timed: o.expiresAt !== null })),
    tried: mine.filter((o) => o.state === 'declined' || o.state === 'expired').map((o) => o.agentId),
    reopenTried:
      last === null ||
      !agents.some((a) => a.id === last) ||
      mine.some((o) => o.kind === 'reopen' || o.agentId === last),
  };
}
