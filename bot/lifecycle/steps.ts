import { contactDisplayName } from '../../bridge/portal/names.ts';
import { getContact } from '../../bridge/store/contacts.ts';
import type { Queryable } from '../../bridge/store/db.ts';
import { waitingRun } from '../campaigns/runs.ts';
import { enqueueEffects, type Effect } from '../effects/types.ts';
import { recordJourney } from '../journey/store.ts';
import { startOfflineForm } from '../offline/form.ts';
import { closeOffers, type Offer } from '../routing/offers.ts';
import { markPositionNotified, queuePosition } from '../routing/queue.ts';
import { renderMessage, type Messages } from '../spaces/messages.ts';
import type { LiveConversation } from './conversation.ts';
import { nextState, type LifecycleEvent } from './machine.ts';
import { agentsOnline, type LivechatSettings } from './space.ts';
import type { TransitionContext } from './transitions.ts';

/* The steps transitions share: the state change itself, offers taken back, entering the queue. */

/** Moves the conversation by `event` (a conditional update on its state) and records it in the journey. */
export async function move(
  tx: Queryable,
  conversation: LiveConversation,
  event: LifecycleEvent,
  set: Record<string, unknown>,
  ctx: TransitionContext,
  detail: Record<string, unknown> = {},
): Promise<void> {
  const from = conversation.state;
  const to = nextState(from, event);
  const columns = { state: to, state_changed_at: ctx.now, ...set };
  const values: unknown[] = [conversation.id, from];
  const assignments = Object.entries(columns).map(([column, value]) => {
    values.push(value);
    return `${column} = $${values.length}`;
  });
  const result = await tx.query(
    `UPDATE conversations SET ${assignments.join(', ')} WHERE id = $1 AND state = $2 AND archived_at IS NULL`,
    values,
  );
  // The caller holds the row lock, so this only fails if it read the row without it.
  if (result.rowCount !== 1) throw new Error(`conversation ${conversation.id} changed under a transition`);
  await recordJourney(tx, {
    contactId: conversation.contactId,
    conversationId: conversation.id,
    type: event,
    actor: ctx.actor,
    detail: { from, to, ...detail },
    at: ctx.now,
  });
  conversation.state = to;
}

export async function customerLabel(tx: Queryable, conversation: LiveConversation): Promise<string> {
  const contact = await getContact(tx, conversation.contactId);
  return contact ? contactDisplayName(contact) : 'A customer';
}

/** Withdraws offers (their invitations) with a reason the agents see. */
export async function withdrawOffers(
  tx: Queryable,
  offers: readonly Offer[],
  reason: string,
  ctx: TransitionContext,
): Promise<void> {
  const closed = await closeOffers(
    tx,
    offers.map((o) => o.id),
    'withdrawn',
    reason,
    ctx.now,
  );
  for (const offer of closed) {
    if (offer.byInvite) {
      await enqueueEffects(tx, offer.conversationId, [{ type: 'withdraw', userId: offer.userId, reason }]);
    }
  }
}

/**
 * Puts a conversation in line: the queued message with its place, or, when nobody is online (or
 * live chat is off), the offline message and form. Then routing offers it.
 */
export async function enterQueue(
  tx: Queryable,
  conversation: LiveConversation,
  settings: LivechatSettings,
  messages: Messages,
  ctx: TransitionContext,
  effects: Effect[],
): Promise<void> {
  const episode = conversation.queueEpisode;
  if (!settings.livechatEnabled || (await agentsOnline(tx, conversation.spaceId)) === 0) {
    effects.push(
      ...(await goOffline(tx, conversation, settings, messages, ctx, {
        reason: settings.livechatEnabled ? 'nobody online' : 'live chat is off',
      })),
    );
  } else {
    const position = await queuePosition(tx, conversation.id);
    await markPositionNotified(tx, conversation.id, position, ctx.now);
    effects.push({
      type: 'customer',
      cause: `queued:${conversation.id}:${episode}`,
      message: { text: renderMessage(messages.queued, { position }) },
    });
  }
  effects.push({ type: 'room' }, { type: 'route', spaceId: conversation.spaceId });
}

/**
 * The offline message (once per wait) and, when the space has it, the offline form. The
 * conversation stays queued: an agent coming online later still gets it.
 */
export async function goOffline(
  tx: Queryable,
  conversation: LiveConversation,
  settings: LivechatSettings,
  messages: Messages,
  ctx: TransitionContext,
  detail: { reason: string },
): Promise<Effect[]> {
  const episode = conversation.queueEpisode;
  await tx.query('UPDATE conversations SET offline_notified_at = $2 WHERE id = $1', [
    conversation.id,
    ctx.now,
  ]);
  conversation.offlineNotifiedAt = ctx.now;
  await recordJourney(tx, {
    contactId: conversation.contactId,
    conversationId: conversation.id,
    type: 'offline',
    actor: 'system',
    detail,
    at: ctx.now,
  });
  const effects: Effect[] = [
    { type: 'customer', cause: `offline:${conversation.id}:${episode}`, message: { text: messages.offline } },
  ];
  if (settings.offlineForm && !(await waitingRun(tx, conversation.id))) {
    effects.push(
      ...(await startOfflineForm(tx, conversation, {
        now: ctx.now,
        cause: `offline-form:${conversation.id}:${episode}`,
      })),
    );
  }
  return effects;
}
