import { roomLink } from '../../bridge/portal/names.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { cancelRuns } from '../campaigns/runs.ts';
import { enqueueEffects, type Effect } from '../effects/types.ts';
import type { JourneyActor } from '../journey/store.ts';
import { agentName, type SpaceAgent } from '../routing/agents.ts';
import { closeOffers, insertOffer, pendingOffers } from '../routing/offers.ts';
import { renderMessage } from '../spaces/messages.ts';
import type { LiveConversation } from './conversation.ts';
import { conversationMessages } from './messages.ts';
import { livechatSettings } from './space.ts';
import { customerLabel, enterQueue, move, withdrawOffers } from './steps.ts';

export { goOffline } from './steps.ts';

/*
 * The lifecycle applied to the store. Each function takes a conversation row locked by the caller
 * (FOR UPDATE, in a transaction), moves it with a conditional update on its current state, records
 * the step in the journey, and queues what follows outside Postgres (messages, room name, offers)
 * as effects in the same transaction. Callers commit, then wake the effects worker.
 */

/** What the lifecycle reports to metrics (bot/metrics.ts), once the transaction committed. */
export interface LifecycleObserver {
  assigned(policy: string, via: string, waitedSeconds: number | undefined): void;
  resolved(seconds: number): void;
}

export interface TransitionContext {
  now: Date;
  actor: JourneyActor;
  observer: LifecycleObserver;
  /** Run after the transaction commits (metrics). */
  after: (() => void)[];
}

export interface HandoverOptions {
  reason?: string;
  skill?: string;
  /** What asked for it: a flow node, a handover keyword, misses, a livechat-mode sender. */
  trigger: string;
  /** Sends the welcome message first (a livechat-mode sender's first message of an episode). */
  welcome?: boolean;
}

/** bot → queued: the customer waits for an agent. */
export async function handover(
  tx: Queryable,
  conversation: LiveConversation,
  ctx: TransitionContext,
  options: HandoverOptions,
): Promise<void> {
  const settings = await livechatSettings(tx, conversation.spaceId);
  const messages = await conversationMessages(tx, conversation.id);
  const episode = conversation.queueEpisode + 1;
  await move(
    tx,
    conversation,
    'handover',
    {
      queued_at: ctx.now,
      queue_priority: 0,
      queue_episode: episode,
      handover_reason: options.reason ?? null,
      handover_skill: options.skill ?? null,
      offline_notified_at: null,
      position_notified: null,
      position_notified_at: null,
      assigned_agent_id: null,
    },
    ctx,
    { reason: options.reason, skill: options.skill, trigger: options.trigger },
  );
  conversation.queueEpisode = episode;
  conversation.queuedAt = ctx.now;
  const effects: Effect[] = [];
  if (options.welcome) {
    effects.push({
      type: 'customer',
      cause: `welcome:${conversation.id}:${episode}`,
      message: { text: messages.welcome },
    });
  }
  await enterQueue(tx, conversation, settings, messages, ctx, effects);
  if (settings.controlRoomId && conversation.roomId) {
    const who = await customerLabel(tx, conversation);
    const why = options.reason ? `: ${options.reason}` : '';
    effects.push({
      type: 'notice',
      roomId: settings.controlRoomId,
      cause: `feed:handover:${conversation.id}:${episode}`,
      text: `🟡 ${who} is waiting for an agent${why}. ${roomLink(conversation.roomId)}`,
    });
  }
  await enqueueEffects(tx, conversation.id, effects);
}

export interface AssignOptions {
  /** offer: the agent joined on an offer; takeover: wrote in the room; transfer: accepted one. */
  via: 'offer' | 'takeover' | 'transfer';
  policy: string;
}

/** queued (or bot) → assigned, or assigned → assigned to someone else (transfer). */
export async function assign(
  tx: Queryable,
  conversation: LiveConversation,
  agent: SpaceAgent,
  ctx: TransitionContext,
  options: AssignOptions,
): Promise<void> {
  const previousAgentId = conversation.assignedAgentId;
  const waitedSeconds =
    conversation.state === 'queued' && conversation.queuedAt
      ? (ctx.now.getTime() - conversation.queuedAt.getTime()) / 1000
      : undefined;
  await move(
    tx,
    conversation,
    options.via === 'transfer' ? 'transfer' : 'assign',
    { assigned_agent_id: agent.id, last_agent_id: agent.id, assigned_at: ctx.now },
    ctx,
    { agent: agent.userId, via: options.via, policy: options.policy, waitedSeconds },
  );
  conversation.assignedAgentId = agent.id;
  await tx.query('UPDATE agents SET last_assigned_at = $2 WHERE id = $1', [agent.id, ctx.now]);
  await cancelRuns(tx, conversation.id, ctx.now);

  const name = agentName(agent);
  const offers = await pendingOffers(tx, { conversationId: conversation.id });
  const mine = offers.filter((o) => o.agentId === agent.id);
  await closeOffers(
    tx,
    mine.map((o) => o.id),
    'accepted',
    options.via,
    ctx.now,
  );
  await withdrawOffers(
    tx,
    offers.filter((o) => o.agentId !== agent.id),
    `Taken by ${agent.userId}`,
    ctx,
  );
  // Now full: their other offers go to someone else.
  if (agent.open + 1 >= agent.maxChats) {
    const others = (await pendingOffers(tx, { agentId: agent.id })).filter(
      (o) => o.conversationId !== conversation.id && o.kind !== 'transfer',
    );
    await withdrawOffers(tx, others, `You have reached your limit of ${agent.maxChats} conversations`, ctx);
  }

  const messages = await conversationMessages(tx, conversation.id);
  const effects: Effect[] = [];
  if (previousAgentId && previousAgentId !== agent.id) {
    const previous = await tx.query<{ user_id: string }>('SELECT user_id FROM agents WHERE id = $1', [
      previousAgentId,
    ]);
    if (previous.rows[0]) {
      effects.push({
        type: 'withdraw',
        userId: previous.rows[0].user_id,
        reason: `Transferred to ${agent.userId}`,
      });
    }
  }
  const at = ctx.now.getTime();
  effects.push(
    {
      type: 'customer',
      cause: `assigned:${conversation.id}:${conversation.queueEpisode}:${agent.id}:${at}`,
      message: { text: renderMessage(messages.assigned, { agent: name }) },
    },
    {
      type: 'notice',
      cause: `takeover:${conversation.id}:${agent.id}:${at}`,
      text: renderMessage(messages.takeover, { agent: name }),
    },
    { type: 'room' },
    { type: 'members', reason: `Taken by ${agent.userId}` },
    { type: 'route', spaceId: conversation.spaceId },
  );
  await enqueueEffects(tx, conversation.id, effects);
  ctx.after.push(() => ctx.observer.assigned(options.policy, options.via, waitedSeconds));
}

/** assigned → queued, at the front: the agent gives it back (or lost their seat, or left). */
export async function unassign(
  tx: Queryable,
  conversation: LiveConversation,
  ctx: TransitionContext,
  options: { reason: string; removeAgent: boolean },
): Promise<void> {
  const agentId = conversation.assignedAgentId;
  const settings = await livechatSettings(tx, conversation.spaceId);
  const messages = await conversationMessages(tx, conversation.id);
  const episode = conversation.queueEpisode + 1;
  const agent = agentId
    ? (await tx.query<{ user_id: string }>('SELECT user_id FROM agents WHERE id = $1', [agentId])).rows[0]
    : undefined;
  await move(
    tx,
    conversation,
    'unassign',
    {
      assigned_agent_id: null,
      queued_at: ctx.now,
      queue_priority: 1,
      queue_episode: episode,
      offline_notified_at: null,
      position_notified: null,
      position_notified_at: null,
    },
    ctx,
    { agent: agent?.user_id, reason: options.reason },
  );
  conversation.queueEpisode = episode;
  conversation.queuedAt = ctx.now;
  conversation.assignedAgentId = null;
  await withdrawOffers(tx, await pendingOffers(tx, { conversationId: conversation.id }), options.reason, ctx);
  const effects: Effect[] = [];
  if (agentId && agent) {
    // Someone else first: they come again only when everyone free was asked.
    await insertOffer(tx, {
      conversationId: conversation.id,
      agentId,
      spaceId: conversation.spaceId,
      kind: 'queue',
      policy: settings.policy,
      episode,
      offeredAt: ctx.now,
      expiresAt: null,
      state: 'declined',
      closeReason: options.reason,
    });
    if (options.removeAgent)
      effects.push({ type: 'withdraw', userId: agent.user_id, reason: options.reason });
  }
  await enterQueue(tx, conversation, settings, messages, ctx, effects);
  await enqueueEffects(tx, conversation.id, effects);
}

/** → resolved: the resolved message; the room opens to the space's members for reading. */
export async function resolve(
  tx: Queryable,
  conversation: LiveConversation,
  ctx: TransitionContext,
): Promise<void> {
  const agentId = conversation.assignedAgentId;
  const messages = await conversationMessages(tx, conversation.id);
  await move(
    tx,
    conversation,
    'resolve',
    { assigned_agent_id: null, last_agent_id: agentId ?? conversation.lastAgentId, resolved_at: ctx.now },
    ctx,
  );
  conversation.assignedAgentId = null;
  await cancelRuns(tx, conversation.id, ctx.now);
  await withdrawOffers(tx, await pendingOffers(tx, { conversationId: conversation.id }), 'Resolved', ctx);
  await enqueueEffects(tx, conversation.id, [
    {
      type: 'customer',
      cause: `resolved:${conversation.id}:${ctx.now.getTime()}`,
      message: { text: messages.resolved },
    },
    { type: 'room' },
    { type: 'route', spaceId: conversation.spaceId },
  ]);
  const seconds = (ctx.now.getTime() - conversation.openedAt.getTime()) / 1000;
  ctx.after.push(() => ctx.observer.resolved(seconds));
}

/** resolved → bot: the customer wrote again; same room, a new flow run. */
export async function reopen(
  tx: Queryable,
  conversation: LiveConversation,
  ctx: TransitionContext,
): Promise<void> {
  await move(
    tx,
    conversation,
    'reopen',
    { flow_run_id: null, opened_at: ctx.now, assigned_agent_id: null },
    ctx,
  );
  conversation.flowRunId = null;
  conversation.openedAt = ctx.now;
  await enqueueEffects(tx, conversation.id, [{ type: 'room' }]);
}

/** → archived after inactivity: the customer's next message opens a new conversation and room. */
export async function archive(
  tx: Queryable,
  conversation: LiveConversation,
  ctx: TransitionContext,
  detail: { inactiveHours: number },
): Promise<void> {
  await move(tx, conversation, 'archive', { archived_at: ctx.now }, ctx, detail);
  await cancelRuns(tx, conversation.id, ctx.now);
  await enqueueEffects(tx, conversation.id, [{ type: 'room' }]);
}
