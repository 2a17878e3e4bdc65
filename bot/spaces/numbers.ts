import type { Queryable } from '../../bridge/store/db.ts';

/*
 * Conversation numbers (#12): per space, in the order the bot first handled them. The bridge
 * creates conversations and knows nothing of numbers; the bot gives one in the transaction of the
 * conversation's first message, under the space row's lock so that two never get the same.
 */

export async function ensureConversationNumber(tx: Queryable, conversationId: string): Promise<number> {
  const current = await tx.query<{ number: number | null; space_id: string }>(
    'SELECT number, space_id FROM conversations WHERE id = $1',
    [conversationId],
  );
  const row = current.rows[0];
  if (!row) throw new Error(`conversation ${conversationId} does not exist`);
  if (row.number !== null) return row.number;
  const next = await tx.query<{ number: number }>(
    `WITH seq AS (UPDATE spaces SET conversation_seq = conversation_seq + 1 WHERE id = $2 RETURNING conversation_seq)
     UPDATE conversations SET number = (SELECT conversation_seq FROM seq) WHERE id = $1 AND number IS NULL
     RETURNING number`,
    [conversationId, row.space_id],
  );
  if (next.rows[0]) return next.rows[0].number;
  // Numbered meanwhile by another transaction (its caller did not hold the conversation's lock).
  return (
    await tx.query<{ number: number }>('SELECT number FROM conversations WHERE id = $1', [conversationId])
  ).rows[0]!.number;
}
