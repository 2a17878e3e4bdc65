import type { Queryable } from '../../bridge/store/db.ts';

export interface ConversationRow {
  id: string;
  spaceId: string;
  senderId: string;
  contactId: string;
  contactChannel: string;
  contactAddress: string;
  contactProfileName: string | null;
  roomId: string | null;
  state: string;
  assignedAgentId: string | null;
  previousConversationId: string | null;
  createdAt: Date;
  lastActivityAt: Date;
  archivedAt: Date | null;
}

interface Raw {
  id: string;
  space_id: string;
  sender_id: string;
  contact_id: string;
  channel: string;
  address: string;
  profile_name: string | null;
  room_id: string | null;
  state: string;
  assigned_agent_id: string | null;
  previous_conversation_id: string | null;
  created_at: Date;
  last_activity_at: Date;
  archived_at: Date | null;
}

const SELECT = `SELECT c.*, ct.channel, ct.address, ct.profile_name
  FROM conversations c JOIN contacts ct ON ct.id = c.contact_id`;

function toRow(r: Raw): ConversationRow {
  return {
    id: r.id,
    spaceId: r.space_id,
    senderId: r.sender_id,
    contactId: r.contact_id,
    contactChannel: r.channel,
    contactAddress: r.address,
    contactProfileName: r.profile_name,
    roomId: r.room_id,
    // An archived conversation is archived whatever state it was left in.
    state: r.archived_at ? 'archived' : r.state,
    assignedAgentId: r.assigned_agent_id,
    previousConversationId: r.previous_conversation_id,
    createdAt: r.created_at,
    lastActivityAt: r.last_activity_at,
    archivedAt: r.archived_at,
  };
}

/** Newest first; `before` is the id of the last conversation of the previous page. */
export async function listConversations(
  db: Queryable,
  spaceId: string,
  options: { state?: string; limit: number; before?: { createdAt: Date; id: string } },
): Promise<ConversationRow[]> {
  const values: unknown[] = [spaceId];
  const where = ['c.space_id = $1'];
  if (options.state === 'archived') where.push('c.archived_at IS NOT NULL');
  else if (options.state) {
    values.push(options.state);
    where.push(`c.archived_at IS NULL AND c.state = $${values.length}`);
  }
  if (options.before) {
    values.push(options.before.createdAt, options.before.id);
    where.push(`(c.created_at, c.id) < ($${values.length - 1}, $${values.length})`);
  }
  values.push(options.limit);
  const result = await db.query<Raw>(
    `${SELECT} WHERE ${where.join(' AND ')} ORDER BY c.created_at DESC, c.id DESC LIMIT $${values.length}`,
    values,
  );
  return result.rows.map(toRow);
}

export async function getConversation(
  db: Queryable,
  spaceId: string,
  id: string,
): Promise<ConversationRow | undefined> {
  const result = await db.query<Raw>(`${SELECT} WHERE c.space_id = $1 AND c.id = $2`, [spaceId, id]);
  return result.rows[0] && toRow(result.rows[0]);
}

export interface ContactRow {
  id: string;
  spaceId: string;
  channel: string;
  address: string;
  addressKind: string;
  profileName: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export async function getContact(db: Queryable, id: string): Promise<ContactRow | undefined> {
  const result = await db.query<{
    id: string;
    space_id: string;
    channel: string;
    address: string;
    address_kind: string;
    profile_name: string | null;
    created_at: Date;
    updated_at: Date;
  }>('SELECT * FROM contacts WHERE id = $1', [id]);
  const r = result.rows[0];
  return (
    r && {
      id: r.id,
      spaceId: r.space_id,
      channel: r.channel,
      address: r.address,
      addressKind: r.address_kind,
      profileName: r.profile_name,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }
  );
}
