import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRoomEvent } from '../harness/env.ts';
import { createHandoverEnv, type Agent, type Customer, type HandoverEnv } from './support/handover.ts';

/*
 * The lifecycle from an agent's chair: giving a conversation back, transferring it, a resolved
 * conversation reopening (to its agent first, never stuck with an offline one), and archiving
 * after a day without activity (the clock moved, not waited for).
 */

describe('unassign, transfer, reopen and archive', () => {
  let h: HandoverEnv;
  let senderId: string;
  let alice: Agent;
  let bob: Agent;
  let gus: Customer;
  let roomId: string;

  beforeAll(async () => {
    h = await createHandoverEnv();
    senderId = await h.addSender({ address: '+14155550197', channel: 'sms', mode: 'livechat' });
    alice = await h.seat('Alice');
    bob = await h.seat('Bob');
    await alice.online();
    gus = h.customer(senderId, '+14155550400', 'Gus');
    await gus.say('Hi');
    await gus.next('Hello! How can we help you today?');
    await gus.next('You are being transferred to an agent. You are number 1 in the queue.');
    roomId = (await gus.conversation()).room_id;
    await alice.invited(roomId);
    await alice.client.joinRoom(roomId);
    await gus.next('You are now chatting with Alice.');
    await bob.online();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('!unassign gives the conversation back: to the front of the queue, offered to someone else', async () => {
    const answer = await alice.command(roomId, '!unassign');
    expect(answer).toMatchObject({ ok: true, reply: expect.stringContaining('Back in the queue') });
    await gus.next('You are being transferred to an agent. You are number 1 in the queue.');
    expect(await bob.invited(roomId)).toBe(roomId);
    const { state, assigned } = await gus.conversation();
    expect({ state, assigned }).toEqual({ state: 'queued', assigned: null });
    // Alice stays until someone takes it.
    await h.settle();
    expect((await h.member(roomId, alice.userId)).membership).toBe('join');
    await bob.client.joinRoom(roomId);
    await gus.next('You are now chatting with Bob.');
    await h.settle();
    expect(await h.member(roomId, alice.userId)).toMatchObject({
      membership: 'leave',
      reason: `Taken by ${bob.userId}`,
    });
  });

  it('!transfer offers it to another agent of the space; it moves when they join', async () => {
    const stranger = await h.env.createUser();
    expect(await bob.command(roomId, `!transfer ${stranger.userId}`)).toEqual({
      ok: false,
      reply: `${stranger.userId} is not an agent of this space.`,
    });
    const offered = await bob.command(roomId, `!transfer ${alice.userId}`);
    expect(offered).toMatchObject({
      ok: true,
      reply: `Offered to ${alice.userId}: the conversation stays with its agent until they join.`,
    });
    expect(await alice.invited(roomId)).toBe(roomId);
    expect((await gus.conversation()).assigned).toBe(bob.userId);
    await alice.client.joinRoom(roomId);
    await gus.next('You are now chatting with Alice.');
    await h.settle();
    expect((await gus.conversation()).assigned).toBe(alice.userId);
    expect(await h.member(roomId, bob.userId)).toMatchObject({
      membership: 'leave',
      reason: `Transferred to ${alice.userId}`,
    });
    // Only the assigned agent (or an admin) may resolve, unassign or transfer.
    const journey = await h.query<{ type: string }>(
      `SELECT type FROM journey WHERE conversation_id = (SELECT id FROM conversations WHERE room_id = $1) ORDER BY id`,
      [roomId],
    );
    expect(journey.map((j) => j.type)).toEqual([
      'handover',
      'offer',
      'assign',
      'unassign',
      'offer',
      'assign',
      'offer',
      'transfer',
    ]);
  });

  it('reopens a resolved conversation in the same room, offered first to the agent who had it', async () => {
    expect(await alice.command(roomId, '!resolve')).toMatchObject({ ok: true });
    await gus.next('This conversation has been resolved. Write again any time if you need anything else.');
    await gus.say('One more thing: can I pay cash?');
    await gus.next('Hello! How can we help you today?');
    await gus.next('You are being transferred to an agent. You are number 1 in the queue.');
    expect((await gus.conversation()).room_id).toBe(roomId);
    // Alice is still in the room: a mention instead of an invitation.
    const mention = await waitForRoomEvent(alice.client, {
      roomId,
      sender: h.bridge().botUserId,
      predicate: (e) =>
        e.getContent().body ===
        `${alice.userId}: the customer is waiting. Write here to take the conversation.`,
    });
    expect(mention.getContent()['m.mentions']).toEqual({ user_ids: [alice.userId] });
    await h.settle();
    expect(await h.member(roomId, bob.userId)).toMatchObject({ membership: 'leave' });
    await alice.client.sendTextMessage(roomId, 'Yes, cash is fine.');
    await gus.next('You are now chatting with Alice.');
    await gus.next('Yes, cash is fine.');
    expect(await gus.conversation()).toMatchObject({ state: 'assigned', assigned: alice.userId });
  });

  it('reopened while its agent is offline: routed to whoever is online, never stuck', async () => {
    expect(await alice.command(roomId, '!resolve')).toMatchObject({ ok: true });
    await gus.next(/^This conversation has been resolved/);
    await alice.offline();
    await gus.say('And delivery on Monday?');
    await gus.next('Hello! How can we help you today?');
    await gus.next('You are being transferred to an agent. You are number 1 in the queue.');
    expect(await bob.invited(roomId)).toBe(roomId);
    await bob.client.joinRoom(roomId);
    await gus.next('You are now chatting with Bob.');
    // Assigned to Bob: Alice, offline but still in the room, is removed.
    await h.settle();
    expect(await h.member(roomId, alice.userId)).toMatchObject({
      membership: 'leave',
      reason: `Taken by ${bob.userId}`,
    });
  });

  it('archives after a day without activity; the next message opens a new room linked to this one', async () => {
    expect(await bob.command(roomId, '!resolve')).toMatchObject({ ok: true });
    await h.settle();
    h.clock.advance(23 * 3600);
    await h.sweep();
    expect((await gus.conversation()).state).toBe('resolved');
    h.clock.advance(2 * 3600);
    await h.sweep();
    const archived = await h.query<{ state: string; archived_at: Date | null }>(
      'SELECT state, archived_at FROM conversations WHERE room_id = $1',
      [roomId],
    );
    expect(archived).toEqual([{ state: 'archived', archived_at: expect.any(Date) }]);
    const client = h.bridge().context.matrix.botIntent.matrixClient;
    expect((await client.getRoomStateEventContent(roomId, 'm.room.name', '')).name).toBe(
      '⚪ Gus (+1 415 555 0400) — archived',
    );

    await gus.say('Hello again');
    await gus.next('Hello! How can we help you today?');
    await gus.next('You are being transferred to an agent. You are number 1 in the queue.');
    const next = await gus.conversation();
    expect(next.room_id).not.toBe(roomId);
    expect(await bob.invited(next.room_id)).toBe(next.room_id);
    await bob.client.joinRoom(next.room_id);
    const link = await waitForRoomEvent(bob.client, {
      roomId: next.room_id,
      sender: h.bridge().botUserId,
      predicate: (e) => String(e.getContent().body).startsWith('Previous conversation with this customer'),
    });
    expect(link.getContent().body).toContain(encodeURIComponent(roomId));
  });
});
