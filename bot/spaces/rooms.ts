import type { MatrixGateway } from '../../bridge/matrix/gateway.ts';
import { noticeContent, sendEventOnce } from '../../bridge/matrix/send.ts';
import { errorInfo, logger } from '../../bridge/log.ts';
import { alreadyDone } from './matrix-errors.ts';
import { initialPowerLevels } from './power.ts';

const log = logger('bot.spaces');

/** A space's Matrix rooms: the `m.space` room and its control room (admins and the bot). */
export interface SpaceRooms {
  spaceRoomId: string;
  controlRoomId: string;
}

export function controlRoomName(spaceName: string): string {
  return `${spaceName} — control`;
}

/**
 * Creates the space and its control room, linked both ways (m.space.child / m.space.parent). On a
 * failure half-way, the bot leaves what it had created (an empty room is harmless; a homeserver
 * admin may purge it) and the error is thrown for the caller to roll back its rows.
 */
export async function createSpaceRooms(matrix: MatrixGateway, name: string): Promise<SpaceRooms> {
  const client = matrix.botIntent.matrixClient;
  const via = [matrix.domain];
  const created: string[] = [];
  try {
    const spaceRoomId = await client.createRoom({
      name,
      topic: `Live chat: ${name}`,
      preset: 'private_chat',
      visibility: 'private',
      creation_content: { type: 'm.space' },
      power_level_content_override: initialPowerLevels('space'),
      initial_state: [
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
        { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } },
      ],
    });
    created.push(spaceRoomId);
    const controlRoomId = await client.createRoom({
      name: controlRoomName(name),
      topic: `Admins and the bot: commands and the handover feed of ${name}`,
      preset: 'private_chat',
      visibility: 'private',
      power_level_content_override: initialPowerLevels('control'),
      initial_state: [
        { type: 'm.space.parent', state_key: spaceRoomId, content: { via, canonical: true } },
        { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } },
      ],
    });
    created.push(controlRoomId);
    await client.sendStateEvent(spaceRoomId, 'm.space.child', controlRoomId, { via, suggested: false });
    return { spaceRoomId, controlRoomId };
  } catch (err) {
    for (const roomId of created) {
      await alreadyDone(() => client.leaveRoom(roomId)).catch((leaveErr) =>
        log.warn({ roomId, ...errorInfo(leaveErr) }, 'could not leave a room of a space that failed'),
      );
    }
    if (created.length) log.warn({ rooms: created }, 'left the rooms of a space whose creation failed');
    throw err;
  }
}

export async function renameSpaceRooms(
  matrix: MatrixGateway,
  rooms: SpaceRooms,
  name: string,
): Promise<void> {
  const client = matrix.botIntent.matrixClient;
  await client.sendStateEvent(rooms.spaceRoomId, 'm.room.name', '', { name });
  await client.sendStateEvent(rooms.controlRoomId, 'm.room.name', '', { name: controlRoomName(name) });
}

/**
 * Closes a deleted space's rooms: a notice in the control room, every member removed with a
 * reason, then the bot leaves. The rooms stay on the homeserver, empty, for its admin to purge.
 * Each step may be repeated (a retried delete) without effect.
 */
export async function closeSpaceRooms(
  matrix: MatrixGateway,
  rooms: SpaceRooms,
  spaceName: string,
  spaceId: string,
): Promise<void> {
  const client = matrix.botIntent.matrixClient;
  const reason = `The space ${spaceName} was deleted`;
  await alreadyDone(() =>
    sendEventOnce(
      matrix.botIntent,
      rooms.controlRoomId,
      'm.room.message',
      noticeContent(`${reason}. This room is closed.`),
      `space-deleted:${spaceId}`,
    ),
  );
  for (const roomId of [rooms.controlRoomId, rooms.spaceRoomId]) {
    let members: string[] = [];
    await alreadyDone(async () => {
      members = await client.getJoinedRoomMembers(roomId);
    });
    const invited = await client
      .getRoomMembers(roomId, undefined, ['invite'])
      .then((events) => events.map((e) => e.membershipFor))
      .catch(() => [] as string[]);
    for (const userId of [...members, ...invited]) {
      if (userId === matrix.botUserId) continue;
      await alreadyDone(() => client.kickUser(userId, roomId, reason));
    }
    await alreadyDone(() => client.leaveRoom(roomId, reason));
  }
}
