import type { Queryable } from '../../bridge/store/db.ts';
import { effectiveMessages, type LivechatMessageKey, type Messages } from '../spaces/messages.ts';

type Layer = Partial<Record<LivechatMessageKey, string>>;

/**
 * The live-assistant messages in force for a conversation: the defaults, the space's, then those of
 * the campaign it ran (the flow's `messages`, then the campaign's own) until it resolves.
 */
export async function conversationMessages(db: Queryable, conversationId: string): Promise<Messages> {
  const result = await db.query<{ space: Layer; flow: Layer | null; campaign: Layer | null }>(
    `SELECT s.messages AS space, r.flow -> 'messages' AS flow, r.messages AS campaign
     FROM conversations c JOIN spaces s ON s.id = c.space_id
     LEFT JOIN flow_runs f ON f.id = c.flow_run_id
     LEFT JOIN campaign_revisions r ON r.id = f.revision_id
     WHERE c.id = $1`,
    [conversationId],
  );
  const row = result.rows[0];
  if (!row) return effectiveMessages();
  return effectiveMessages(row.space ?? {}, row.flow ?? {}, row.campaign ?? {});
}
