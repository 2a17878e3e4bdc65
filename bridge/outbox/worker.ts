import type { Config } from '../../config/schema.ts';
import type { Clock } from '../context.ts';
import { errorInfo, logger } from '../log.ts';
import type { MatrixGateway } from '../matrix/gateway.ts';
import { noticeContent, sendEventOnce } from '../matrix/send.ts';
import { CHANNEL_NAMES, contactAddressLabel } from '../portal/names.ts';
import type { ProviderRegistry } from '../providers/index.ts';
import { ProviderError, type Capabilities, type ProviderFailure } from '../providers/types.ts';
import { PermanentError, RetryableError } from '../queue/errors.ts';
import { OrderedQueue } from '../queue/ordered-queue.ts';
import { getContact, type Contact } from '../store/contacts.ts';
import { getConversation, lastInboundAt } from '../store/conversations.ts';
import type { Database } from '../store/db.ts';
import { mapMessage } from '../store/message-map.ts';
import { isOptedOut } from '../store/opt-outs.ts';
import { recordFailure, recordPartSent, setRoomCopy, type OutboxRow } from '../store/outbox.ts';
import { getSender, type Sender } from '../store/senders.ts';
import { failureText, refusalText, type NoticeContext, type Refusal } from './notices.ts';
import { planParts } from './parts.ts';
import { roomCopyContent } from './room-copy.ts';

const log = logger('bridge.outbox');

/** Refused before any provider call: retrying cannot help, the agent must act. */
export class RefusedError extends PermanentError {
  readonly refusal: Refusal;

  constructor(refusal: Refusal) {
    super(`refused: ${refusal}`, { code: refusal });
    this.name = 'RefusedError';
    this.refusal = refusal;
  }
}

export interface OutboxDeps {
  config: Config;
  db: Database;
  matrix: MatrixGateway;
  providers: ProviderRegistry;
  clock: Clock;
  onSent(channel: string): void;
  onFailed(channel: string, outcome: 'refused' | 'failed'): void;
  onProviderError(provider: string, code: string): void;
}

interface Loaded {
  sender: Sender;
  contact: Contact;
  caps: Capabilities;
}

/** The public base URL without a trailing slash. */
export function publicBase(config: Config): string {
  return config.publicUrl.replace(/\/+$/, '');
}

/**
 * Sends outbox rows through their sender's provider, in order per conversation. Checks that cost
 * nothing (opt-out, the care window, capabilities) come before the provider call; provider failures
 * are retried with backoff unless classified permanent, and every final failure is a notice in
 * reply to the message in the room.
 */
export function createOutboxWorker(deps: OutboxDeps): OrderedQueue<OutboxRow> {
  const { db, matrix, providers, config } = deps;

  async function load(row: OutboxRow): Promise<Loaded> {
    const conversation = await getConversation(db, row.conversation_id);
    const sender = conversation && (await getSender(db, conversation.senderId));
    const contact = conversation && (await getContact(db, conversation.contactId));
    if (!conversation || !sender || !contact) throw new PermanentError('the conversation no longer exists');
    return { sender, contact, caps: providers.get(sender.provider).capabilities(sender) };
  }

  async function refuseIfNeeded(row: OutboxRow, { sender, contact, caps }: Loaded): Promise<void> {
    const { content } = row;
    if (!row.bypass_opt_out && (await isOptedOut(db, sender.id, contact.id)))
      throw new RefusedError('opted-out');
    if (content.template && !caps.templates) throw new RefusedError('no-templates');
    if (content.media && !caps.media) throw new RefusedError('no-media');
    if (!content.template && !content.media && !content.interactive && !content.text?.trim())
      throw new RefusedError('empty');
    if (caps.customerCareWindowHours !== undefined && !content.template) {
      const last = await lastInboundAt(db, sender.id, contact.id);
      const limit = caps.customerCareWindowHours * 3600_000;
      if (!last || deps.clock.now().getTime() - last.getTime() > limit)
        throw new RefusedError('window-closed');
    }
  }

  async function handle(row: OutboxRow): Promise<void> {
    const loaded = await load(row);
    const { sender, contact, caps } = loaded;
    const provider = providers.get(sender.provider);
    let eventId = row.event_id ?? row.room_copy_event_id;
    if (!eventId) {
      // The bot's own messages are shown in the room first, so agents see what the customer gets.
      eventId = await sendEventOnce(
        matrix.botIntent,
        row.room_id,
        'm.room.message',
        roomCopyContent(row.content),
        `outbox-copy:${row.id}`,
      );
      await setRoomCopy(db, row.id, eventId);
      row.room_copy_event_id = eventId;
    }
    await refuseIfNeeded(row, loaded);

    let mediaUrl: string | undefined;
    let data: Buffer | undefined;
    if (row.content.media) {
      const name = encodeURIComponent(row.content.media.filename ?? 'file');
      mediaUrl = `${publicBase(config)}/media/v1/${row.content.media.token}/${name}`;
      data = (await matrix.botIntent.matrixClient.downloadContent(row.content.media.mxc)).data;
    }
    const plan = planParts(row.content, caps, mediaUrl, data);
    const statusCallbackUrl = `${publicBase(config)}${provider.webhookPath(sender)}`;
    for (let index = row.parts_sent; index < plan.parts.length; index++) {
      try {
        const result = await provider.send(sender, {
          ...plan.parts[index]!,
          to: contact.address,
          statusCallbackUrl,
          idempotencyKey: plan.parts.length > 1 ? `${row.id}.${index}` : row.id,
        });
        await db.tx(async (client) => {
          await recordPartSent(client, row.id, {
            index,
            providerMessageId: result.providerMessageId,
            ...(result.status ? { status: result.status } : {}),
            ...((result.segments ?? plan.segments) !== undefined
              ? { segments: result.segments ?? plan.segments! }
              : {}),
          });
          await mapMessage(client, {
            provider: sender.provider,
            providerMessageId: result.providerMessageId,
            direction: 'out',
            conversationId: row.conversation_id,
            roomId: row.room_id,
            eventId: eventId,
            outboxId: row.id,
          });
        });
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        const { kind, code, message, permanent, retryAfterMs } = err.failure;
        deps.onProviderError(sender.provider, code);
        await recordFailure(db, row.id, { kind, code, message });
        if (permanent) throw new PermanentError(err.message, { code: kind, cause: err });
        throw new RetryableError(err.message, {
          cause: err,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
      }
    }
    deps.onSent(sender.channel);
  }

  async function notifyFailure(row: OutboxRow, err: unknown): Promise<void> {
    const loaded = await load(row).catch(() => undefined);
    if (!loaded) return;
    const { sender, contact, caps } = loaded;
    const context: NoticeContext = {
      who: contactAddressLabel(contact),
      channel: CHANNEL_NAMES[sender.channel],
      commandPrefix: config.bot.commandPrefix,
      attempts: row.attempts,
      ...(caps.customerCareWindowHours !== undefined ? { windowHours: caps.customerCareWindowHours } : {}),
    };
    let text: string;
    if (err instanceof RefusedError) {
      text = refusalText(err.refusal, context);
      await recordFailure(db, row.id, { kind: 'rejected', code: err.refusal, message: text, refused: true });
    } else {
      const cause = (err as { cause?: unknown }).cause;
      const failure: Pick<ProviderFailure, 'kind' | 'code' | 'message'> =
        cause instanceof ProviderError
          ? cause.failure
          : (row.last_failure ?? {
              kind: 'unavailable',
              code: 'internal',
              message: err instanceof Error ? err.message : String(err),
            });
      // The opt-out confirmation fails at carriers that answer STOP themselves: nothing to report.
      if (row.bypass_opt_out && failure.kind === 'opted-out') return;
      text = failureText(failure, context);
    }
    deps.onFailed(sender.channel, err instanceof RefusedError ? 'refused' : 'failed');
    const replyTo = row.event_id ?? row.room_copy_event_id;
    await sendEventOnce(
      matrix.botIntent,
      row.room_id,
      'm.room.message',
      {
        ...noticeContent(text),
        ...(replyTo ? { 'm.relates_to': { 'm.in_reply_to': { event_id: replyTo } } } : {}),
      },
      `outbox-failed:${row.id}`,
    );
    log.info(
      { outboxId: row.id, conversationId: row.conversation_id, reason: text },
      'a message was not delivered; agents were told',
    );
  }

  return new OrderedQueue<OutboxRow>(db, {
    name: 'outbox',
    table: 'outbox',
    keyColumn: 'conversation_id',
    concurrency: 8,
    leaseSeconds: 15,
    pollMs: 1000,
    // About an hour of retries (capped at 5 minutes apart) before telling the agent it failed.
    backoff: { baseMs: 500, maxMs: 300_000, maxAttempts: 20 },
    handle: async (row) => {
      try {
        await handle(row);
      } catch (err) {
        if (!(err instanceof PermanentError) && !(err instanceof RetryableError))
          log.warn(
            { outboxId: row.id, conversationId: row.conversation_id, ...errorInfo(err) },
            'sending failed; will retry',
          );
        throw err;
      }
    },
    onFailed: notifyFailure,
  });
}
