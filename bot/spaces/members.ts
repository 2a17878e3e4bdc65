import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import { alreadyDone, matrixErrcode } from './matrix-errors.ts';
import { ROLE_LEVEL, withUserLevel, type PowerLevels, type SeatRole } from './power.ts';
import type { SpaceRooms } from './rooms.ts';

/*
 * Seat holders in a space's rooms. Agents are members of the space room; admins also of the
 * control room; power levels follow the role (see power.ts). The bot only invites: the person
 * accepts in their client, or the invitation page joins for a freshly created account.
 */

/** The rooms a role belongs in. */
export function roomsForRole(rooms: SpaceRooms, role: SeatRole): string[] {
  return role === 'admin' ? [rooms.spaceRoomId, rooms.controlRoomId] : [rooms.spaceRoomId];
}

/** Current membership of a user in a room (undefined: never there). */
export async function membershipOf(
  matrix: MatrixGateway,
  roomId: string,
  userId: string,
): Promise<string | undefined> {
  try {
    const content = (await matrix.botIntent.matrixClient.getRoomStateEventContent(
      roomId,
      'm.room.member',
      userId,
    )) as { membership?: string };
    return content.membership;
  } catch (err) {
    if (matrixErrcode(err) === 'M_NOT_FOUND') return undefined;
    throw err;
  }
}

export async function setPowerLevel(
  matrix: MatrixGateway,
  roomId: string,
  userId: string,
  level: number,
): Promise<void> {
  const client = matrix.botIntent.matrixClient;
  const current = (await client.getRoomStateEventContent(roomId, 'm.room.power_levels', '')) as PowerLevels;
  if ((current.users?.[userId] ?? 0) === level) return;
  await client.sendStateEvent(roomId, 'm.room.power_levels', '', withUserLevel(current, userId, level));
}

/** Invites (when not already in) and sets the power level, in every room the role belongs in. */
export async function admitMember(
  matrix: MatrixGateway,
  rooms: SpaceRooms,
  userId: string,
  role: SeatRole,
): Promise<void> {
  for (const roomId of roomsForRole(rooms, role)) {
    await setPowerLevel(matrix, roomId, userId, ROLE_LEVEL[role]);
    const current = await membershipOf(matrix, roomId, userId);
    if (current !== 'join' && current !== 'invite')
      await matrix.botIntent.matrixClient.inviteUser(userId, roomId);
  }
}

/** Moves a member to another role: power levels, and in or out of the control room. */
export async function changeRole(
  matrix: MatrixGateway,
  rooms: SpaceRooms,
  userId: string,
  role: SeatRole,
): Promise<void> {
  await admitMember(matrix, rooms, userId, role);
  if (role === 'agent') {
    await removeFromRoom(matrix, rooms.controlRoomId, userId, 'No longer an admin of this space');
  }
}

async function removeFromRoom(matrix: MatrixGateway, roomId: string, userId: string, reason: string) {
  const client = matrix.botIntent.matrixClient;
  const current = await membershipOf(matrix, roomId, userId);
  if (current === 'join' || current === 'invite' || current === 'knock') {
    await alreadyDone(() => client.kickUser(userId, roomId, reason));
  }
  await setPowerLevel(matrix, roomId, userId, 0);
}

/** Removes a seat holder from the space's rooms (kicked with the reason) and resets their power. */
export async function removeMember(
  matrix: MatrixGateway,
  rooms: SpaceRooms,
  userId: string,
  reason: string,
): Promise<void> {
  for (const roomId of [rooms.controlRoomId, rooms.spaceRoomId]) {
    await removeFromRoom(matrix, roomId, userId, reason);
  }
}
