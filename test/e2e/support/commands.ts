import type { MatrixClient, MatrixEvent } from 'matrix-js-sdk';
import { waitForInvite, waitForRoomEvent } from '../../harness/env.ts';
import type { Agent, HandoverEnv } from './handover.ts';

/*
 * Bot commands as a person types them: a message in a room, then the bot's ✅/⛔ reaction and its
 * answer in the command's thread.
 */

export interface CommandAnswer {
  ok: boolean;
  reply: string;
}

export async function runCommand(
  client: MatrixClient,
  botUserId: string,
  roomId: string,
  line: string,
): Promise<CommandAnswer> {
  const { event_id } = await client.sendTextMessage(roomId, line);
  const reaction = await waitForRoomEvent(client, {
    roomId,
    type: 'm.reaction',
    sender: botUserId,
    predicate: (e) => e.getContent()['m.relates_to']?.event_id === event_id,
  });
  const reply = await waitForRoomEvent(client, {
    roomId,
    sender: botUserId,
    predicate: (e: MatrixEvent) => e.getContent()['m.relates_to']?.['m.in_reply_to']?.event_id === event_id,
  });
  return {
    ok: reaction.getContent()['m.relates_to']?.key === '✅',
    reply: reply.getContent().body as string,
  };
}

/** A DM with the bot, once its greeting arrived. */
export async function openDm(client: MatrixClient, botUserId: string): Promise<string> {
  const { room_id: dm } = await client.createRoom({
    invite: [botUserId],
    is_direct: true,
    preset: 'trusted_private_chat' as never,
  });
  await waitForRoomEvent(client, { roomId: dm, type: 'm.room.message', sender: botUserId });
  return dm;
}

/** Seats an admin and brings them into the space's control room. */
export async function seatAdmin(h: HandoverEnv, name: string): Promise<Agent> {
  const admin = await h.seat(name, 'admin');
  const control = h.space.matrix.controlRoomId;
  await waitForInvite(admin.client, { roomId: control });
  await admin.client.joinRoom(control);
  return admin;
}
