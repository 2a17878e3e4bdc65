import { EventType, type MatrixEvent } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRoomEvent, waitUntil } from '../harness/env.ts';
import { createPipelineEnv, rows, type PipelineEnv } from './support/pipeline.ts';

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('messages both ways between a phone and a conversation room', () => {
  let p: PipelineEnv;
  let roomId: string;
  let ghost: string;

  beforeAll(async () => {
    p = await createPipelineEnv();
  });
  afterAll(async () => {
    await p?.stop();
  });

  const fromGhost = (predicate: (e: MatrixEvent) => boolean) =>
    waitForRoomEvent(p.agent, { roomId, type: 'm.room.message', sender: ghost, predicate });

  it('opens a room in the space for a new customer and posts their text as their ghost', async () => {
    await p.phone.sendMessage(p.sender.id, {
      from: '+14155550100',
      profileName: 'Ada Lovelace',
      text: 'Hello, my order is late',
    });
    roomId = await p.joinConversation();
    const message = await waitForRoomEvent(p.agent, {
      roomId,
      type: 'm.room.message',
      predicate: (e) => e.getContent().body === 'Hello, my order is late',
    });
    ghost = message.getSender()!;
    expect(ghost).toMatch(new RegExp(`^@${p.env.slot.ghostPrefix}[0-9a-f]{20}:`));
    expect(ghost).not.toContain('4155550100');
    expect(message.getContent().msgtype).toBe('m.text');
    const profile = await p.agent.getProfileInfo(ghost);
    expect(profile.displayname).toBe('Ada Lovelace (+1 415 555 0100)');

    const room = p.agent.getRoom(roomId)!;
    // The name shows the conversation's state: assigned to this agent.
    const assignedName = `🟢 Ada Lovelace (+1 415 555 0100) — with ${p.agentId.slice(1).split(':')[0]}`;
    await waitUntil(
      p.agent,
      'the assigned room name',
      () => (room.name === assignedName ? true : undefined),
      () => room.name,
    );
    const topic = room.currentState.getStateEvents(EventType.RoomTopic, '')?.getContent().topic as string;
    expect(topic).toContain('SMS with +1 415 555 0100 on +1 415 555 0199');
    const bridgeState = room.currentState.getStateEvents('m.bridge');
    expect(bridgeState).toHaveLength(1);
    expect(bridgeState[0]!.getContent()).toMatchObject({
      bridgebot: p.bridge().botUserId,
      protocol: { id: 'sms' },
      network: { id: 'simulator' },
      channel: { id: p.sender.id },
    });
    expect(room.currentState.getStateEvents('uk.half-shot.bridge')).toHaveLength(1);
    // The bot created the room: power level 100, or (room version 12) above every level.
    const create = room.currentState.getStateEvents(EventType.RoomCreate, '')!;
    expect(create.getSender()).toBe(p.bridge().botUserId);
    const levels = room.currentState.getStateEvents(EventType.RoomPowerLevels, '')!.getContent();
    if (Number(create.getContent().room_version) < 12) expect(levels.users[p.bridge().botUserId]).toBe(100);
    expect(levels.users?.[ghost] ?? levels.users_default ?? 0).toBe(0);

    const [space] = await rows<{ space_room_id: string }>(
      p,
      'SELECT space_room_id FROM spaces WHERE id = $1',
      [p.space.id],
    );
    const parent = room.currentState.getStateEvents('m.space.parent', space!.space_room_id);
    expect(parent?.getContent().via).toEqual([p.env.config.homeserver.domain]);
    const child = await p
      .bridge()
      .context.matrix.botIntent.matrixClient.getRoomStateEvent(space!.space_room_id, 'm.space.child', roomId);
    expect(child.via).toEqual([p.env.config.homeserver.domain]);
  });

  it('posts an image with its type and size, downloadable from the media repository', async () => {
    const url = p.phone.addFile('photo.png', PNG, 'image/png');
    await p.phone.sendMessage(p.sender.id, { from: '+14155550100', media: [{ url, mimeType: 'image/png' }] });
    const image = await fromGhost((e) => e.getContent().msgtype === 'm.image');
    const content = image.getContent();
    expect(content.info).toMatchObject({ mimetype: 'image/png', size: PNG.length });
    expect(content.url).toMatch(/^mxc:\/\//);
    const downloaded = await p.bridge().context.matrix.botIntent.matrixClient.downloadContent(content.url);
    expect(Buffer.compare(downloaded.data, PNG)).toBe(0);
  });

  it('posts a location and a tapped reply as the customer wrote them', async () => {
    await p.phone.sendMessage(p.sender.id, {
      from: '+14155550100',
      location: { latitude: 51.5, longitude: -0.12, name: 'Shop' },
    });
    const location = await fromGhost((e) => e.getContent().msgtype === 'm.location');
    expect(location.getContent()).toMatchObject({ geo_uri: 'geo:51.5,-0.12' });
    expect(location.getContent().body).toContain('Shop');
    await p.phone.sendMessage(p.sender.id, {
      from: '+14155550100',
      reply: { id: 'opt-2', title: 'Track my order' },
    });
    const reply = await fromGhost((e) => e.getContent().body === 'Track my order');
    expect(reply.getContent().msgtype).toBe('m.text');
  });

  it("delivers an agent's text and image to the phone, with a link the carrier can fetch", async () => {
    const text = await p.agent.sendTextMessage(roomId, 'Sorry! It ships **today**.');
    const [sent] = await p.phone.waitForMessages(1, (m) => m.text?.startsWith('Sorry') ?? false);
    expect(sent).toMatchObject({ to: '+14155550100', from: '+14155550199', channel: 'sms' });
    expect(sent!.statusCallbackUrl).toBe(`${p.publicUrl}/webhooks/simulator/${p.sender.id}`);
    // The phone has the message a moment before the bridge commits the provider's answer.
    await expect
      .poll(async () => (await rows(p, 'SELECT state FROM outbox WHERE event_id = $1', [text.event_id]))[0])
      .toEqual({ state: 'done' });
    const [outbox] = await rows<{ id: string; segments: number; provider_message_id: string }>(
      p,
      'SELECT id, segments, provider_message_id FROM outbox WHERE event_id = $1',
      [text.event_id],
    );
    expect(sent!.idempotencyKey).toBe(outbox!.id);
    expect(outbox!.provider_message_id).toBe(sent!.id);
    expect(outbox!.segments).toBe(1);

    const mxc = await p.agent.uploadContent(PNG, { type: 'image/png', name: 'receipt.png' });
    await p.agent.sendMessage(roomId, {
      msgtype: 'm.image',
      body: 'receipt.png',
      url: mxc.content_uri,
      info: { mimetype: 'image/png', size: PNG.length },
    } as never);
    const [image] = await p.phone.waitForMessages(1, (m) => m.media !== undefined);
    expect(image!.media).toMatchObject({ mimeType: 'image/png', filename: 'receipt.png' });
    expect(Buffer.from(image!.media!.dataBase64!, 'base64').equals(PNG)).toBe(true);
    expect(image!.media!.url!.startsWith(`${p.publicUrl}/media/v1/`)).toBe(true);
    const fetched = await p.phone.fetchMedia(image!.media!.url!);
    expect(fetched.status).toBe(200);
    expect(fetched.type).toBe('image/png');
    expect(fetched.data.equals(PNG)).toBe(true);
    const guessed = await p.phone.fetchMedia(`${p.publicUrl}/media/v1/${'A'.repeat(32)}/receipt.png`);
    expect(guessed.status).toBe(404);
  });

  it('shows a read status as the ghost reading the agent message, and a failure as a notice', async () => {
    const read = await p.agent.sendTextMessage(roomId, 'Tracking number is 42');
    const [sent] = await p.phone.waitForMessages(1, (m) => m.text === 'Tracking number is 42');
    await p.phone.sendStatus(p.sender.id, sent!.id, 'delivered');
    await p.phone.sendStatus(p.sender.id, sent!.id, 'read');
    // A late, out-of-order callback does not move it back.
    await p.phone.sendStatus(p.sender.id, sent!.id, 'sent');
    const room = p.agent.getRoom(roomId)!;
    await waitUntil(
      p.agent,
      `a read receipt from ${ghost} on ${read.event_id}`,
      () =>
        room.getReceiptsForEvent(room.findEventById(read.event_id)!).some((r) => r.userId === ghost)
          ? true
          : undefined,
      () => JSON.stringify(room.getReceiptsForEvent(room.findEventById(read.event_id)!)),
    );
    await expect
      .poll(async () => (await rows(p, 'SELECT status FROM outbox WHERE event_id = $1', [read.event_id]))[0])
      .toEqual({ status: 'read' });

    const failing = await p.agent.sendTextMessage(roomId, 'Are you there?');
    const [lost] = await p.phone.waitForMessages(1, (m) => m.text === 'Are you there?');
    await p.phone.sendStatus(p.sender.id, lost!.id, 'undelivered', {
      code: 'unreachable',
      message: 'handset switched off',
    });
    await p.phone.sendStatus(p.sender.id, lost!.id, 'undelivered', {
      code: 'unreachable',
      message: 'handset switched off',
    });
    const notice = await waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) => e.getContent()['m.relates_to']?.['m.in_reply_to']?.event_id === failing.event_id,
    });
    expect(notice.getContent().msgtype).toBe('m.notice');
    expect(notice.getContent().body).toBe(
      'Not delivered: +1 415 555 0100 could not be reached: handset switched off (unreachable).',
    );
  });
});
