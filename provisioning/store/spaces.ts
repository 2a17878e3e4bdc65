import type { Queryable } from '../../bridge/store/db.ts';
import { MESSAGE_KEYS, type LivechatMessageKey } from '../../bot/spaces/messages.ts';
import type { RoutingPolicy } from '../../bot/routing/plan.ts';
import { seatsOf, seatsSql, type Seats } from './seats.ts';

export { MESSAGE_KEYS, type RoutingPolicy };
export type MessageKey = LivechatMessageKey;

export interface SpaceRow {
  id: string;
  name: string;
  seatLimit: number;
  seats: Seats;
  livechatEnabled: boolean;
  spaceRoomId: string;
  controlRoomId: string;
  routingPolicy: RoutingPolicy;
  offerTimeoutSeconds: number;
  maxWaitSeconds: number;
  maxChatsDefault: number;
  offlineForm: boolean;
  defaultCampaignId: string | null;
  messages: Partial<Record<MessageKey, string>>;
  createdAt: Date;
  updatedAt: Date;
}

interface Raw {
  id: string;
  name: string;
  seat_limit: number;
  seats_used: number;
  seats_pending: number;
  livechat_enabled: boolean;
  space_room_id: string;
  control_room_id: string;
  routing_policy: RoutingPolicy;
  offer_timeout_seconds: number;
  max_wait_seconds: number;
  max_chats_default: number;
  offline_form: boolean;
  default_campaign_id: string | null;
  messages: Partial<Record<MessageKey, string>>;
  created_at: Date;
  updated_at: Date;
}

function toRow(r: Raw): SpaceRow {
  return {
    id: r.id,
    name: r.name,
    seatLimit: r.seat_limit,
    seats: seatsOf(r.seat_limit, r.seats_used, r.seats_pending),
    livechatEnabled: r.livechat_enabled,
    spaceRoomId: r.space_room_id,
    controlRoomId: r.control_room_id,
    routingPolicy: r.routing_policy,
    offerTimeoutSeconds: r.offer_timeout_seconds,
    maxWaitSeconds: r.max_wait_seconds,
    maxChatsDefault: r.max_chats_default,
    offlineForm: r.offline_form,
    defaultCampaignId: r.default_campaign_id,
    messages: r.messages,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const SELECT = `SELECT s.*, ${seatsSql(1)} FROM spaces s`;

export async function listSpaces(db: Queryable, now: Date): Promise<SpaceRow[]> {
  const result = await db.query<Raw>(`${SELECT} ORDER BY s.created_at, s.id`, [now]);
  return result.rows.map(toRow);
}

/** One space; with lock, its row stays locked until the transaction ends (seat accounting). */
export async function getSpace(
  db: Queryable,
  id: string,
  now: Date,
  options: { lock?: boolean } = {},
): Promise<SpaceRow | undefined> {
  if (options.lock) await db.query('SELECT 1 FROM spaces WHERE id = $1 FOR UPDATE', [id]);
  const result = await db.query<Raw>(`${SELECT} WHERE s.id = $2`, [now, id]);
  return result.rows[0] && toRow(result.rows[0]);
}

export interface NewSpace {
  name: string;
  seatLimit: number;
  livechatEnabled: boolean;
  offlineForm: boolean;
  routingPolicy: RoutingPolicy;
  offerTimeoutSeconds: number;
  maxWaitSeconds: number;
  maxChatsDefault: number;
  messages: Partial<Record<MessageKey, string>>;
}

export async function insertSpace(db: Queryable, space: NewSpace): Promise<string> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO spaces (name, seat_limit, livechat_enabled, offline_form, routing_policy, offer_timeout_seconds,
       max_wait_seconds, max_chats_default, messages)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [
      space.name,
      space.seatLimit,
      space.livechatEnabled,
      space.offlineForm,
      space.routingPolicy,
      space.offerTimeoutSeconds,
      space.maxWaitSeconds,
      space.maxChatsDefault,
      JSON.stringify(space.messages),
    ],
  );
  return result.rows[0]!.id;
}

export async function setSpaceRooms(
  db: Queryable,
  id: string,
  rooms: { spaceRoomId: string; controlRoomId: string },
): Promise<void> {
  await db.query('UPDATE spaces SET space_room_id = $2, control_room_id = $3 WHERE id = $1', [
    id,
    rooms.spaceRoomId,
    rooms.controlRoomId,
  ]);
}

export interface SpaceChanges {
  name?: string;
  seatLimit?: number;
  livechatEnabled?: boolean;
  offlineForm?: boolean;
  routingPolicy?: RoutingPolicy;
  offerTimeoutSeconds?: number;
  maxWaitSeconds?: number;
  maxChatsDefault?: number;
  messages?: Partial<Record<MessageKey, string>>;
}

export async function updateSpace(db: Queryable, id: string, changes: SpaceChanges): Promise<void> {
  const columns: Record<keyof SpaceChanges, string> = {
    name: 'name',
    seatLimit: 'seat_limit',
    livechatEnabled: 'livechat_enabled',
    offlineForm: 'offline_form',
    routingPolicy: 'routing_policy',
    offerTimeoutSeconds: 'offer_timeout_seconds',
    maxWaitSeconds: 'max_wait_seconds',
    maxChatsDefault: 'max_chats_default',
    messages: 'messages',
  };
  const sets: string[] = [];
  const values: unknown[] = [id];
  for (const [key, column] of Object.entries(columns) as [keyof SpaceChanges, string][]) {
    const value = changes[key];
    if (value === undefined) continue;
    values.push(key === 'messages' ? JSON.stringify(value) : value);
    sets.push(`${column} = $${values.length}`);
  }
  if (!sets.length) return;
  await db.query(`UPDATE spaces SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, values);
}

export async function countOpenConversations(
  db: Queryable,
  where: { spaceId: string } | { senderId: string },
): Promise<number> {
  const [column, value] = 'spaceId' in where ? ['space_id', where.spaceId] : ['sender_id', where.senderId];
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM conversations WHERE ${column} = $1 AND archived_at IS NULL`,
    [value],
  );
  return result.rows[0]!.n;
}

export async function deleteSpace(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM spaces WHERE id = $1', [id]);
}
