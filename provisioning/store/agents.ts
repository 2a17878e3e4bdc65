import type { Queryable } from '../../bridge/store/db.ts';

export type AgentRole = 'agent' | 'admin';

export interface AgentRow {
  id: string;
  spaceId: string;
  userId: string;
  name: string | null;
  email: string | null;
  role: AgentRole;
  /** Their own limit, or the space's default. */
  maxChats: number;
  maxChatsOwn: number | null;
  online: boolean;
  openChats: number;
  createdAt: Date;
}

interface Raw {
  id: string;
  space_id: string;
  user_id: string;
  name: string | null;
  email: string | null;
  role: AgentRole;
  max_chats: number | null;
  max_chats_default: number;
  online: boolean;
  open_chats: number;
  created_at: Date;
}

const SELECT = `SELECT a.*, s.max_chats_default,
    (SELECT count(*) FROM conversations c WHERE c.assigned_agent_id = a.id AND c.archived_at IS NULL)::int AS open_chats
  FROM agents a JOIN spaces s ON s.id = a.space_id`;

function toRow(r: Raw): AgentRow {
  return {
    id: r.id,
    spaceId: r.space_id,
    userId: r.user_id,
    name: r.name,
    email: r.email,
    role: r.role,
    maxChats: r.max_chats ?? r.max_chats_default,
    maxChatsOwn: r.max_chats,
    online: r.online,
    openChats: r.open_chats,
    createdAt: r.created_at,
  };
}

export async function listAgents(db: Queryable, spaceId: string): Promise<AgentRow[]> {
  const result = await db.query<Raw>(`${SELECT} WHERE a.space_id = $1 ORDER BY a.created_at, a.id`, [
    spaceId,
  ]);
  return result.rows.map(toRow);
}

export async function getAgent(
  db: Queryable,
  spaceId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<AgentRow | undefined> {
  if (options.lock)
    await db.query('SELECT 1 FROM agents WHERE space_id = $1 AND id = $2 FOR UPDATE', [spaceId, id]);
  const result = await db.query<Raw>(`${SELECT} WHERE a.space_id = $1 AND a.id = $2`, [spaceId, id]);
  return result.rows[0] && toRow(result.rows[0]);
}

export async function findAgentByUser(
  db: Queryable,
  spaceId: string,
  userId: string,
): Promise<string | undefined> {
  const result = await db.query<{ id: string }>(
    'SELECT id FROM agents WHERE space_id = $1 AND user_id = $2',
    [spaceId, userId],
  );
  return result.rows[0]?.id;
}

export async function insertAgent(
  db: Queryable,
  agent: { spaceId: string; userId: string; role: AgentRole; name: string; email: string },
): Promise<string> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO agents (space_id, user_id, role, name, email) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [agent.spaceId, agent.userId, agent.role, agent.name, agent.email],
  );
  return result.rows[0]!.id;
}

export async function updateAgent(
  db: Queryable,
  id: string,
  changes: { role?: AgentRole; maxChats?: number | null },
): Promise<void> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  if (changes.role !== undefined) {
    values.push(changes.role);
    sets.push(`role = $${values.length}`);
  }
  if (changes.maxChats !== undefined) {
    values.push(changes.maxChats);
    sets.push(`max_chats = $${values.length}`);
  }
  if (!sets.length) return;
  await db.query(`UPDATE agents SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, values);
}

export async function deleteAgent(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM agents WHERE id = $1', [id]);
}
