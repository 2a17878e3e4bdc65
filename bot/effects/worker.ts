import { createMailer, isPermanentMailError, type Mailer } from '../../bridge/mail.ts';
import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import { noticeContent, sendEventOnce } from '../../bridge/matrix/send.ts';
import type { MessagingService } from '../../bridge/messaging/service.ts';
import { errorInfo, logger } from '../../bridge/log.ts';
import { PermanentError } from '../../bridge/queue/errors.ts';
import { OrderedQueue, type QueueRow } from '../../bridge/queue/ordered-queue.ts';
import type { Database } from '../../bridge/store/db.ts';
import type { Config } from '../../config/schema.ts';
import { syncContactCard } from '../contacts/card.ts';
import { loadConversation } from '../lifecycle/conversation.ts';
import { getOffer, markOfferDelivered } from '../routing/offers.ts';
import type { Router } from '../routing/router.ts';
import { matrixStatus } from '../spaces/matrix-errors.ts';
import { membershipOf } from '../spaces/members.ts';
import { syncMembers, syncRoom, withdrawMember } from './room.ts';
import type { Effect } from './types.ts';

const log = logger('bot.effects');

interface EffectRow extends QueueRow {
  key: string;
  conversation_id: string | null;
  effect: Effect;
}

export interface EffectsDeps {
  config: Config;
  db: Database;
  matrix: MatrixGateway;
  messaging: MessagingService;
  router: () => Router;
}

/** A refusal from the homeserver that retrying cannot change (unknown user, no permission). */
function permanentMatrix(err: unknown): boolean {
  const status = matrixStatus(err);
  return status === 400 || status === 403 || status === 404;
}

export interface EffectsWorker {
  start(): void;
  wake(): void;
  stop(): Promise<void>;
}

/** Carries out the bot's effects (see types.ts), in order per key, with retries. */
export function createEffectsWorker(deps: EffectsDeps): EffectsWorker {
  const { db, matrix, messaging, config } = deps;
  let mailer: Mailer | undefined;

  async function roomOf(row: EffectRow): Promise<string | undefined> {
    if (!row.conversation_id) return undefined;
    return (await loadConversation(db, row.conversation_id))?.roomId ?? undefined;
  }

  async function deliverOffer(offerId: string): Promise<void> {
    const offer = await getOffer(db, offerId);
    if (!offer || offer.state !== 'pending') return;
    const conversation = await loadConversation(db, offer.conversationId);
    if (!conversation?.roomId) return;
    const roomId = conversation.roomId;
    const membership = await membershipOf(matrix, roomId, offer.userId);
    if (membership === 'join') {
      // Already in the room (it was resolved and reopened): a mention; writing here takes it.
      const text =
        offer.kind === 'transfer'
          ? `${offer.userId}: ${offer.offeredBy ?? 'an agent'} wants to transfer this conversation to you. Write here to take it.`
          : `${offer.userId}: the customer is waiting. Write here to take the conversation.`;
      await sendEventOnce(
        matrix.botIntent,
        roomId,
        'm.room.message',
        { ...noticeContent(text), 'm.mentions': { user_ids: [offer.userId] } },
        `offer:${offer.id}`,
      );
      await markOfferDelivered(db, offer.id, false);
      return;
    }
    if (membership === 'invite') return;
    try {
      await matrix.botIntent.matrixClient.inviteUser(offer.userId, roomId);
    } catch (err) {
      if (permanentMatrix(err)) throw new PermanentError(`could not invite ${offer.userId}`, { cause: err });
      throw err;
    }
  }

  async function handle(row: EffectRow): Promise<void> {
    const effect = row.effect;
    switch (effect.type) {
      case 'customer': {
        if (!row.conversation_id) return;
        const conversation = await loadConversation(db, row.conversation_id);
        if (!conversation?.roomId) throw new PermanentError('the conversation has no room');
        await messaging.sendToCustomer(row.conversation_id, effect.message, { cause: effect.cause });
        return;
      }
      case 'notice': {
        const roomId = effect.roomId ?? (await roomOf(row));
        if (!roomId) return;
        try {
          await sendEventOnce(
            matrix.botIntent,
            roomId,
            'm.room.message',
            noticeContent(effect.html ? { body: effect.text, html: effect.html } : effect.text),
            effect.cause,
          );
        } catch (err) {
          if (permanentMatrix(err))
            throw new PermanentError('the bot cannot write in that room', { cause: err });
          throw err;
        }
        return;
      }
      case 'room':
        if (row.conversation_id) await syncRoom(db, matrix, row.conversation_id);
        return;
      case 'members':
        if (row.conversation_id) await syncMembers(db, matrix, row.conversation_id, effect.reason);
        return;
      case 'withdraw':
        if (row.conversation_id)
          await withdrawMember(db, matrix, row.conversation_id, effect.userId, effect.reason);
        return;
      case 'invite': {
        const roomId = await roomOf(row);
        if (!roomId) return;
        const membership = await membershipOf(matrix, roomId, effect.userId);
        if (membership === 'join' || membership === 'invite') return;
        try {
          await matrix.botIntent.matrixClient.inviteUser(effect.userId, roomId);
        } catch (err) {
          if (permanentMatrix(err))
            throw new PermanentError(`could not invite ${effect.userId}`, { cause: err });
          throw err;
        }
        return;
      }
      case 'contact':
        if (row.conversation_id) await syncContactCard(db, matrix, row.conversation_id);
        return;
      case 'offer':
        await deliverOffer(effect.offerId);
        return;
      case 'route':
        await deps.router().routeSpace(effect.spaceId);
        return;
      case 'email': {
        if (!config.smtp) throw new PermanentError('no smtp server is configured');
        mailer ??= createMailer(config.smtp);
        try {
          await mailer.sendMail({
            from: config.smtp.from,
            to: effect.to,
            subject: effect.subject,
            text: effect.text,
            ...(effect.replyTo ? { replyTo: effect.replyTo } : {}),
          });
        } catch (err) {
          if (isPermanentMailError(err)) throw new PermanentError((err as Error).message, { cause: err });
          throw err;
        }
        log.info({ to: effect.to.length, conversationId: row.conversation_id }, 'email sent');
        return;
      }
    }
  }

  async function onFailed(row: EffectRow, err: unknown): Promise<void> {
    const effect = row.effect;
    const reason = err instanceof Error ? err.message : String(err);
    log.warn(
      { effect: effect.type, conversationId: row.conversation_id, ...errorInfo(err) },
      'gave up on an effect',
    );
    if (effect.type === 'offer') {
      await deps.router().offerUndeliverable(effect.offerId, reason);
      return;
    }
    const roomId = await roomOf(row);
    if (!roomId || effect.type === 'notice') return;
    const what =
      effect.type === 'customer'
        ? `A message to the customer could not be queued (${reason}). It said: ${effect.message.text ?? '(no text)'}`
        : effect.type === 'email'
          ? `An email to ${effect.to.join(', ')} could not be sent (${reason}): ${effect.subject}`
          : `The bot could not update this room (${effect.type}: ${reason}).`;
    await sendEventOnce(
      matrix.botIntent,
      roomId,
      'm.room.message',
      noticeContent(what),
      `effect-failed:${row.id}`,
    );
  }

  const queue = new OrderedQueue<EffectRow>(db, {
    name: 'bot-effects',
    table: 'bot_effects',
    keyColumn: 'key',
    concurrency: 8,
    leaseSeconds: 120,
    pollMs: 1000,
    backoff: { baseMs: 500, maxMs: 60_000, maxAttempts: 15 },
    handle,
    onFailed,
  });
  return {
    start: () => queue.start(),
    wake: () => queue.wake(),
    async stop() {
      await queue.stop();
      mailer?.close();
    },
  };
}
