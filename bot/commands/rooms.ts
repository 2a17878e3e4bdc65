import type { Queryable } from '../../bridge/store/db.ts';
import type { Role, RoomInfo } from './command.ts';

/** What kind of room this is, and which space (and conversation) it belongs to. */
export async function resolveRoom(db: Queryable, roomId: string): Promise<RoomInfo> {
  const result = await db.query<{
    kind: RoomInfo['kind'];
    space_id: string | null;
    conversation_id: string | null;
  }>(
    `SELECT 'control' AS kind, id AS space_id, NULL::uuid AS conversation_id FROM spaces WHERE control_room_id = $1
     UNION ALL
     SELECT 'conversation', space_id, id FROM conversations WHERE room_id = $1
     UNION ALL
     SELECT 'dm', NULL, NULL FROM bot_dm_rooms WHERE room_id = $1
     LIMIT 1`,
    [roomId],
  );
  const row = result.rows[0];
  if (!row) return { kind: 'other' };
  return {
    kind: row.kind,
    ...(row.space_id ? { spaceId: row.space_id } : {}),
    ...(row.conversation_id ? { conversationId: row.conversation_id } : {}),
  };
}

/**
 * The sender's role where a command runs. Roles come from the store, never from power levels
 * alone: a power level can be raised by anyone who already has it, a seat cannot.
 */
export async function resolveRole(db: Queryable, userId: string, room: RoomInfo): Promise<Role> {
  const result = room.spaceId
    ? await db.query<{ role: Role }>('SELECT role FROM agents WHERE space_id = $1 AND user_id = $2', [
        room.spaceId,
        userId,
      ])
    : await db.query<{ role: Role }>(
        `SELECT role FROM agents WHERE user_id = $1 ORDER BY CASE role WHEN 'admin' THEN 0 ELSE 1 END LIMIT 1`,
        [userId],
      );
  return result.rows[0]?.role ?? 'anyone';
}
