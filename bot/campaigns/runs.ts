import type { Queryable } from '../../bridge/store/db.ts';
import type { FlowState } from '../flows/index.ts';

/** One run of a flow in a conversation (a campaign's, or the built-in offline form). */
export interface FlowRun {
  id: string;
  conversationId: string;
  kind: 'campaign' | 'offline-form';
  campaignId: string | null;
  revisionId: string | null;
  state: FlowState;
  status: 'waiting' | 'ended' | 'handover' | 'cancelled';
  answers: Record<string, string>;
  startedAt: Date;
}

interface Row {
  id: string;
  conversation_id: string;
  kind: FlowRun['kind'];
  campaign_id: string | null;
  revision_id: string | null;
  state: FlowState;
  status: FlowRun['status'];
  answers: Record<string, string>;
  started_at: Date;
}

const toRun = (r: Row): FlowRun => ({
  id: r.id,
  conversationId: r.conversation_id,
  kind: r.kind,
  campaignId: r.campaign_id,
  revisionId: r.revision_id,
  state: r.state,
  status: r.status,
  answers: r.answers,
  startedAt: r.started_at,
});

export async function insertRun(
  db: Queryable,
  run: Omit<FlowRun, 'id' | 'answers'> & { answers?: Record<string, string> },
): Promise<string> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO flow_runs (conversation_id, kind, campaign_id, revision_id, state, status, answers, started_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
    [
      run.conversationId,
      run.kind,
      run.campaignId,
      run.revisionId,
      JSON.stringify(run.state),
      run.status,
      JSON.stringify(run.answers ?? {}),
      run.startedAt,
    ],
  );
  return result.rows[0]!.id;
}

export async function getRun(db: Queryable, id: string): Promise<FlowRun | undefined> {
  const result = await db.query<Row>('SELECT * FROM flow_runs WHERE id = $1', [id]);
  return result.rows[0] && toRun(result.rows[0]);
}

/** The run waiting for the customer's answer, if any (the newest). */
export async function waitingRun(db: Queryable, conversationId: string): Promise<FlowRun | undefined> {
  const result = await db.query<Row>(
    `SELECT * FROM flow_runs WHERE conversation_id = $1 AND status = 'waiting' ORDER BY started_at DESC LIMIT 1`,
    [conversationId],
  );
  return result.rows[0] && toRun(result.rows[0]);
}

export async function updateRun(
  db: Queryable,
  id: string,
  changes: { state: FlowState; status: FlowRun['status']; answers?: Record<string, string>; at: Date },
): Promise<void> {
  await db.query(
    `UPDATE flow_runs SET state = $2, status = $3, answers = COALESCE($4::jsonb, answers), updated_at = $5 WHERE id = $1`,
    [
      id,
      JSON.stringify(changes.state),
      changes.status,
      changes.answers ? JSON.stringify(changes.answers) : null,
      changes.at,
    ],
  );
}

/** Stops the runs still waiting (an agent took over); returns how many. */
export async function cancelRuns(db: Queryable, conversationId: string, at: Date): Promise<number> {
  const result = await db.query(
    `UPDATE flow_runs SET status = 'cancelled', updated_at = $2 WHERE conversation_id = $1 AND status = 'waiting'`,
    [conversationId, at],
  );
  return result.rowCount ?? 0;
}
