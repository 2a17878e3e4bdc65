import type { Queryable } from '../../bridge/store/db.ts';
import type { ConversationState } from './machine.ts';

/** A conversation as the lifecycle and routing see it. */
export interface LiveConversation {
  id: string;
  spaceId: string;
  senderId: string;
  contactId: string;
  roomId: string | null;
  state: ConversationState;
  archivedAt: Date | null;
  assignedAgentId: string | null;
  lastAgentId: string | null;
  flowRunId: string | null;
  queuedAt: Date | null;
  queuePriority: number;
  queueEpisode: number;
  handoverReason: string | null;
  offlineNotifiedAt: Date | null;
  positionNotified: number | null;
  positionNotifiedAt: Date | null;
  positionUpdates: number;
  assignedAt: Date | null;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
  stateChangedAt: Date | null;
  openedAt: Date;
  lastActivityAt: Date;
  createdAt: Date;
}

interface Row {
  id: string;
  space_id: string;
  sender_id: string;
  contact_id: string;
  room_id: string | null;
  state: ConversationState;
  archived_at: Date | null;
  assigned_agent_id: string | null;
  last_agent_id: string | null;
  flow_run_id: string | null;
  queued_at: Date | null;
  queue_priority: number;
  queue_episode: number;
  handover_reason: string | null;
  offline_notified_at: Date | null;
  position_notified: number | null;
  position_notified_at: Date | null;
  position_updates: number;
  assigned_at: Date | null;
  first_response_at: Date | null;
  resolved_at: Date | null;
  state_changed_at: Date | null;
  opened_at: Date | null;
  last_activity_at: Date;
  created_at: Date;
}

function toConversation(r: Row): LiveConversation {
  return {
    id: r.id,
    spaceId: r.space_id,
    senderId: r.sender_id,
    contactId: r.contact_id,
    roomId: r.room_id,
    // The bridge archives (space or sender deleted) by archived_at alone.
    state: r.archived_at ? 'archived' : r.state,
    archivedAt: r.archived_at,
    assignedAgentId: r.assigned_agent_id,
    lastAgentId: r.last_agent_id,
    flowRunId: r.flow_run_id,
    queuedAt: r.queued_at,
    queuePriority: r.queue_priority,
    queueEpisode: r.queue_episode,
    handoverReason: r.handover_reason,
    offlineNotifiedAt: r.offline_notified_at,
    positionNotified: r.position_notified,
    positionNotifiedAt: r.position_notified_at,
    positionUpdates: r.position_updates,
    assignedAt: r.assigned_at,
    firstResponseAt: r.first_response_at,
    resolvedAt: r.resolved_at,
    stateChangedAt: r.state_changed_at,
    openedAt: r.opened_at ?? r.created_at,
    lastActivityAt: r.last_activity_at,
    createdAt: r.created_at,
  };
}

/** With lock, the row stays locked until the transaction ends: decisions on it are serialized. */
export async function loadConversation(
  db: Queryable,
  id: string,
  options: { lock?: boolean } = {},
): Promise<LiveConversation | undefined> {
  const result = await db.query<Row>(
    `SELECT * FROM conversations WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return result.rows[0] && toConversation(result.rows[0]);
}

export async function conversationByRoom(
  db: Queryable,
  roomId: string,
): Promise<LiveConversation | undefined> {
  const result = await db.query<Row>('SELECT * FROM conversations WHERE room_id = $1', [roomId]);
  return result.rows[0] && toConversation(result.rows[0]);
}
