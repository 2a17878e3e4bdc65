import type { CustomerMessage } from '../../bridge/messaging/types.ts';
import type { Queryable } from '../../bridge/store/db.ts';

/*
 * What the bot does outside Postgres once a decision is committed. Decisions write these in the
 * same transaction as the state they follow from; a worker carries them out in order per key,
 * retrying, so a crash between the two loses nothing. Each one can run twice without effect:
 * messages carry their cause, and the room effects read the current state and converge on it.
 */
export type Effect =
  /** A message to the customer (delivered like an agent's, shown in the room). */
  | { type: 'customer'; cause: string; message: CustomerMessage }
  /** A notice from the bot, in the conversation room or the given room (the control room). */
  | { type: 'notice'; cause: string; text: string; html?: string; roomId?: string }
  /** The room's name and join rule follow the conversation's state. */
  | { type: 'room' }
  /** Only the bot, the customer, the assigned agent, admins (and pending offers) stay in the room. */
  | { type: 'members'; reason: string }
  /** Takes an invitation back, or removes someone, with a reason they see. */
  | { type: 'withdraw'; userId: string; reason: string }
  /** Delivers an offer: an invitation, or a mention for an agent already in the room. */
  | { type: 'offer'; offerId: string }
  /** Offers the space's queued conversations to agents. */
  | { type: 'route'; spaceId: string }
  | { type: 'email'; to: string[]; subject: string; text: string; replyTo?: string };

/** Queues effects; key orders them (the conversation's id unless given). */
export async function enqueueEffects(
  db: Queryable,
  conversationId: string | null,
  effects: readonly Effect[],
  key: string = conversationId ?? 'space',
): Promise<void> {
  for (const effect of effects) {
    await db.query('INSERT INTO bot_effects (key, conversation_id, effect) VALUES ($1, $2, $3)', [
      effect.type === 'email' ? `email:${key}` : key,
      conversationId,
      JSON.stringify(effect),
    ]);
  }
}
