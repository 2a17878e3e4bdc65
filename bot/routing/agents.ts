import type { Queryable } from '../../bridge/store/db.ts';

/** A seat holder as routing sees them. */
export interface SpaceAgent {
  id: string;
  spaceId: string;
  userId: string;
  name: string | null;
  email: string | null;
  role: 'agent' | 'admin';
  online: boolean;
  /** Their own limit, or the space's default. */
  maxChats: number;
  /** Conversations assigned to them now. */
  open: number;
  /** Offers waiting for their answer. */
  pending: number;
  lastOfferedAt: Date | null;
  lastAssignedAt: Date | null;
}

interface Row {
  id: string;
  space_id: string;
  user_id: string;
  name: string | null;
  email: string | null;
  role: 'agent' | 'admin';
  online: boolean;
  max_chats: number;
  open: number;
  pending: number;
  last_offered_at: Date | null;
  last_assigned_at: Date | null;
}

const SELECT = `SELECT a.id, a.space_id, a.user_id, a.name, a.email, a.role, a.online,
    COALESCE(a.max_chats, s.max_chats_default) AS max_chats, a.last_offered_at, a.last_assigned_at,
    (SELECT count(*) FROM conversations c
      WHERE c.assigned_agent_id = a.id AND c.state = 'assigned' AND c.archived_at IS NULL)::int AS open,
    (SELECT count(*) FROM offers o WHERE o.agent_id = a.id AND o.state = 'pending')::int AS pending
  FROM agents a JOIN spaces s ON s.id = a.space_id`;

function toAgent(r: Row): SpaceAgent {
  return {
    id: r.id,
    spaceId: r.space_id,
    userId: r.user_id,
    name: r.name,
    email: r.email,
    role: r.role,
    online: r.online,
    maxChats: r.max_chats,
    open: r.open,
    pending: r.pending,
    lastOfferedAt: r.last_offered_at,
    lastAssignedAt: r.last_assigned_at,
  };
}

/** Every seat holder of a space, oldest first (the order ties are broken in). */
export async function spaceAgents(db: Queryable, spaceId: string): Promise<SpaceAgent[]> {
  const result = await db.query<Row>(`${SELECT} WHERE a.space_id = $1 ORDER BY a.created_at, a.id`, [
    spaceId,
  ]);
  return result.rows.map(toAgent);
}

export async function getAgent(db: Queryable, id: string): Promise<SpaceAgent | undefined> {
  const result = await db.query<Row>(`${SELECT} WHERE a.id = $1`, [id]);
  return result.rows[0] && toAgent(result.rows[0]);
}

export async function agentByUser(
  db: Queryable,
  spaceId: string,
  userId: string,
): Promise<SpaceAgent | undefined> {
  const result = await db.query<Row>(`${SELECT} WHERE a.space_id = $1 AND a.user_id = $2`, [spaceId, userId]);
  return result.rows[0] && toAgent(result.rows[0]);
}

/** The seats one Matrix user holds, in every space. */
export async function seatsOfUser(db: Queryable, userId: string): Promise<SpaceAgent[]> {
  const result = await db.query<Row>(`${SELECT} WHERE a.user_id = $1 ORDER BY a.created_at`, [userId]);
  return result.rows.map(toAgent);
}

/** How the customer and the room call an agent: the name from their invitation, else their localpart. */
export function agentName(agent: Pick<SpaceAgent, 'name' | 'userId'>): string {
  if (agent.name?.trim()) return agent.name.trim();
  return agent.userId.replace(/^@/, '').split(':')[0] || agent.userId;
}

export function hasCapacity(agent: Pick<SpaceAgent, 'open' | 'maxChats'>): boolean {
  return agent.open < agent.maxChats;
}
