import type { Config } from '../../config/schema.ts';
import { userId } from '../ids.ts';
import { logger } from '../log.ts';
import type { MatrixGateway } from '../matrix/gateway.ts';
import { noticeContent, sendEventOnce } from '../matrix/send.ts';
import { CHANNEL_NAMES, contactAddressLabel } from '../portal/names.ts';
import type { ProviderRegistry } from '../providers/index.ts';
import { STATUS_RANK, type DeliveryStatus, type ProviderFailure } from '../providers/types.ts';
import { RetryableError } from '../queue/errors.ts';
import { OrderedQueue, type QueueRow } from '../queue/ordered-queue.ts';
import { getContact } from '../store/contacts.ts';
import { getConversation } from '../store/conversations.ts';
import type { Database } from '../store/db.ts';
import { findByProviderId } from '../store/message-map.ts';
import { advanceStatus, getOutbound } from '../store/outbox.ts';
import { getSender } from '../store/senders.ts';
import { failureText } from './notices.ts';

const log = logger('bridge.outbox.statuses');

interface StatusRow extends QueueRow {
  provider: string;
  provider_message_id: string;
  status: DeliveryStatus;
  error: ProviderFailure | null;
  received_at: Date;
}

/** A status may arrive before the send that it is about has been recorded; wait this long for it. */
const UNKNOWN_GRACE_MS = 10 * 60_000;

/**
 * Applies delivery statuses, forward only: a late, duplicate or out-of-order callback never moves a
 * message back. `read` becomes the ghost's read receipt on the agent's message; `failed` and
 * `undelivered` a notice in reply to it.
 */
export function createStatusWorker(deps: {
  config: Config;
  db: Database;
  matrix: MatrixGateway;
  providers: ProviderRegistry;
}): OrderedQueue<StatusRow> {
  const { db, matrix } = deps;

  async function handle(row: StatusRow): Promise<void> {
    const mapped = await findByProviderId(db, row.provider, row.provider_message_id);
    if (!mapped) {
      if (Date.now() - new Date(row.received_at).getTime() < UNKNOWN_GRACE_MS)
        throw new RetryableError('the message is not known yet');
      log.info(
        { providerMessageId: row.provider_message_id },
        'status for a message this bridge did not send',
      );
      return;
    }
    if (mapped.direction !== 'out' || !mapped.outboxId) return;
    const outbound = await getOutbound(db, mapped.outboxId);
    if (!outbound) return;
    const current = outbound.status ? STATUS_RANK[outbound.status] : -1;
    if (STATUS_RANK[row.status] <= current) return;

    // The effect first, then the status: a crash in between repeats an idempotent effect.
    const conversation = await getConversation(db, outbound.conversation_id);
    const contact = conversation && (await getContact(db, conversation.contactId));
    if (row.status === 'read' && contact) {
      await matrix
        .intent(userId(contact.ghostLocalpart, matrix.domain))
        .matrixClient.sendReadReceipt(mapped.roomId, mapped.eventId);
    } else if ((row.status === 'failed' || row.status === 'undelivered') && conversation && contact) {
      const sender = await getSender(db, conversation.senderId);
      const caps = sender && deps.providers.get(sender.provider).capabilities(sender);
      const failure = row.error ?? {
        kind: 'unreachable' as const,
        code: row.status,
        message: `the carrier reported the message ${row.status}`,
      };
      if (!(outbound.bypass_opt_out && failure.kind === 'opted-out')) {
        const text = failureText(failure, {
          who: contactAddressLabel(contact),
          channel: sender ? CHANNEL_NAMES[sender.channel] : 'the channel',
          commandPrefix: deps.config.bot.commandPrefix,
          ...(caps?.customerCareWindowHours !== undefined
            ? { windowHours: caps.customerCareWindowHours }
            : {}),
        });
        await sendEventOnce(
          matrix.botIntent,
          mapped.roomId,
          'm.room.message',
          { ...noticeContent(text), 'm.relates_to': { 'm.in_reply_to': { event_id: mapped.eventId } } },
          `status-failed:${outbound.id}`,
        );
      }
    }
    await advanceStatus(db, outbound.id, row.status);
  }

  return new OrderedQueue<StatusRow>(db, {
    name: 'statuses',
    table: 'delivery_statuses',
    keyColumn: 'provider_message_id',
    concurrency: 4,
    leaseSeconds: 60,
    pollMs: 1000,
    backoff: { baseMs: 250, maxMs: 30_000 },
    handle,
  });
}
