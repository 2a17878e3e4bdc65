import type { Queryable } from '../../bridge/store/db.ts';

/*
 * Messages in the journey are counted, not copied: the transcript lives in the room. Consecutive
 * messages of a conversation share one `messages` row ({customer, agent, last}), whose time is the
 * first message's; any other journey event closes the run and the next message starts a new row.
 * So the journey reads "messages (2 from the customer) · handover · assign · messages (3 from the
 * customer, 4 from agents) · resolve". The bot's own messages follow from the events around them
 * (campaign steps, handover, assignment) and are not counted.
 *
 * Customer messages are counted in the transaction that decides on them (once per inbox row).
 * Agents' messages are counted by their event: a handler retried after a crash finds its event in
 * `lastAgentEvent` (events of a room are handled in order, so no later one can have replaced it).
 */

export type MessageAuthor = 'customer' | 'agent';

export async function countMessage(
  tx: Queryable,
  message: {
    contactId: string;
    conversationId: string;
    from: MessageAuthor;
    /** 'customer', or the agent's Matrix ID: the actor of a new row. */
    actor: string;
    at: Date;
    eventId?: string;
  },
): Promise<void> {
  if (message.eventId) {
    const seen = await tx.query(
      `SELECT 1 FROM journey WHERE conversation_id = $1 AND type = 'messages' AND detail->>'lastAgentEvent' = $2`,
      [message.conversationId, message.eventId],
    );
    if (seen.rowCount) return;
  }
  const latest = await tx.query<{ id: string; type: string; conversation_id: string | null }>(
    `SELECT id, type, conversation_id FROM journey WHERE contact_id = $1 ORDER BY at DESC, id DESC LIMIT 1 FOR UPDATE`,
    [message.contactId],
  );
  const row = latest.rows[0];
  const marks: Record<string, unknown> = { last: message.at.toISOString() };
  if (message.eventId) marks.lastAgentEvent = message.eventId;
  if (row?.type === 'messages' && row.conversation_id === message.conversationId) {
    await tx.query(
      `UPDATE journey SET detail = detail || jsonb_build_object($2::text, COALESCE((detail->>$2)::int, 0) + 1) || $3::jsonb
       WHERE id = $1`,
      [row.id, message.from, JSON.stringify(marks)],
    );
    return;
  }
  await tx.query(
    `INSERT INTO journey (contact_id, conversation_id, type, actor, detail, at) VALUES ($1, $2, 'messages', $3, $4, $5)`,
    [
      message.contactId,
      message.conversationId,
      message.actor,
      JSON.stringify({ customer: 0, agent: 0, [message.from]: 1, ...marks }),
      message.at,
    ],
  );
}
