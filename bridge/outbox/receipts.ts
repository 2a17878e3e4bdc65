import type { EphemeralEvent } from '../matrix/appservice.ts';
import type { MatrixGateway } from '../matrix/gateway.ts';
import { logger } from '../log.ts';
import type { ProviderRegistry } from '../providers/index.ts';
import { findConversationByRoom } from '../store/conversations.ts';
import type { Database } from '../store/db.ts';
import { getSender } from '../store/senders.ts';

const log = logger('bridge.outbox.receipts');

type ReceiptContent = Record<string, Record<string, Record<string, unknown>>>;

/**
 * When an agent reads a conversation, the customer sees it (WhatsApp blue ticks): the customer's
 * message the agent read up to (or their latest, when the agent's receipt is on another event) is
 * marked read once. Receipts are ephemeral: a failure is logged, the next receipt tries again.
 */
export function createReceiptHandler(deps: {
  db: Database;
  matrix: MatrixGateway;
  providers: ProviderRegistry;
}): (event: EphemeralEvent) => Promise<void> {
  const { db, matrix, providers } = deps;
  return async (event) => {
    if (event.type !== 'm.receipt' || !event.room_id) return;
    const content = event.content as ReceiptContent;
    const readEvents = Object.entries(content)
      .filter(([, receipts]) => Object.keys(receipts['m.read'] ?? {}).some((u) => !matrix.isOwnUser(u)))
      .map(([eventId]) => eventId);
    if (readEvents.length === 0) return;
    const conversation = await findConversationByRoom(db, event.room_id);
    if (!conversation) return;
    const sender = await getSender(db, conversation.senderId);
    if (!sender) return;
    const provider = providers.get(sender.provider);
    if (!provider.capabilities(sender).markRead || !provider.markRead) return;

    // The newest customer message at or before what was read.
    const target = await db.query<{ provider_message_id: string }>(
      `WITH read AS (
         SELECT max(created_at) AS at FROM (
           SELECT created_at FROM message_map WHERE event_id = ANY($2::text[])
           UNION ALL SELECT created_at FROM outbox WHERE event_id = ANY($2::text[]) OR room_copy_event_id = ANY($2::text[])
         ) known
       )
       SELECT provider_message_id FROM message_map, read
       WHERE conversation_id = $1 AND direction = 'in' AND (read.at IS NULL OR created_at <= read.at)
       ORDER BY created_at DESC LIMIT 1`,
      [conversation.id, readEvents],
    );
    const providerMessageId = target.rows[0]?.provider_message_id;
    if (!providerMessageId) return;
    const claimed = await db.query(
      `UPDATE conversations SET marked_read_provider_message_id = $2
       WHERE id = $1 AND marked_read_provider_message_id IS DISTINCT FROM $2`,
      [conversation.id, providerMessageId],
    );
    if (claimed.rowCount === 0) return;
    try {
      await provider.markRead(sender, providerMessageId);
    } catch (err) {
      // Let the next receipt try again.
      await db.query('UPDATE conversations SET marked_read_provider_message_id = NULL WHERE id = $1', [
        conversation.id,
      ]);
      log.info(
        { conversationId: conversation.id, err: (err as Error).message },
        'could not mark a message read',
      );
    }
  };
}
