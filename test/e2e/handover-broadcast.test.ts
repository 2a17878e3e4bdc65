import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandoverEnv, type Agent, type HandoverEnv } from './support/handover.ts';

/*
 * Broadcast routing on a livechat-mode number: every online agent with room for one more is
 * invited, the first to join gets the conversation, the others' invitations are withdrawn.
 */

describe('broadcast routing with capacity', () => {
  let h: HandoverEnv;
  let senderId: string;
  let alice: Agent;
  let bob: Agent;
  let n = 0;
  const nextCustomer = () => h.customer(senderId, `+1415555020${n++}`);

  beforeAll(async () => {
    h = await createHandoverEnv();
    senderId = await h.addSender({ address: '+14155550199', channel: 'sms', mode: 'livechat' });
    alice = await h.seat('Alice');
    bob = await h.seat('Bob');
    await alice.online();
    await bob.online();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('takes the first message of a livechat-mode number straight to the queue and offers it to everyone online', async () => {
    const carl = nextCustomer();
    await carl.say('Hi, my parcel never came');
    await carl.next('Hello! How can we help you today?');
    await carl.next('You are being transferred to an agent. You are number 1 in the queue.');
    const { room_id: roomId, state, id } = await carl.conversation();
    expect(state).toBe('queued');
    expect(await alice.invited(roomId)).toBe(roomId);
    expect(await bob.invited(roomId)).toBe(roomId);
    const offers = await h.query(
      'SELECT agent_id, state, kind, policy, expires_at FROM offers WHERE conversation_id = $1',
      [id],
    );
    expect(offers).toHaveLength(2);
    expect(
      offers.every((o) => o.state === 'pending' && o.policy === 'broadcast' && o.expires_at === null),
    ).toBe(true);
    await alice.client.joinRoom(roomId);
    await carl.next('You are now chatting with Alice.');
    await h.settle();
    expect(await h.member(roomId, bob.userId)).toMatchObject({
      membership: 'leave',
      reason: `Taken by ${alice.userId}`,
    });
    expect(await alice.command(roomId, '!resolve')).toMatchObject({ ok: true });
    await h.settle();
  });

  it('gives a conversation to exactly one of two agents who join at the same instant', async () => {
    for (let round = 0; round < 3; round++) {
      const customer = nextCustomer();
      await customer.say(`race ${round}`);
      const { room_id: roomId, id } = await customer.conversation();
      await Promise.all([alice.invited(roomId), bob.invited(roomId)]);
      const joins = await Promise.allSettled([alice.client.joinRoom(roomId), bob.client.joinRoom(roomId)]);
      expect(joins.some((j) => j.status === 'fulfilled')).toBe(true);
      await customer.next(/^You are now chatting with (Alice|Bob)\.$/);
      await h.settle();

      const { state, assigned } = await customer.conversation();
      expect(state).toBe('assigned');
      const [winner, loser] = assigned === alice.userId ? [alice, bob] : [bob, alice];
      expect(assigned).toBe(winner.userId);
      expect(await h.member(roomId, winner.userId)).toMatchObject({ membership: 'join' });
      expect(await h.member(roomId, loser.userId)).toMatchObject({
        membership: 'leave',
        reason: `Taken by ${winner.userId}`,
      });
      const assignments = await h.query(
        `SELECT actor FROM journey WHERE conversation_id = $1 AND type = 'assign'`,
        [id],
      );
      expect(assignments).toEqual([{ actor: winner.userId }]);
      const offers = await h.query<{ agent_id: string; state: string }>(
        'SELECT agent_id, state FROM offers WHERE conversation_id = $1 ORDER BY state',
        [id],
      );
      expect(offers).toEqual([
        { agent_id: winner.agentId, state: 'accepted' },
        { agent_id: loser.agentId, state: 'withdrawn' },
      ]);
      // The customer got one assignment message, not two.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(
        h.phone.messages.filter((m) => m.to === customer.address && m.text?.startsWith('You are now')),
      ).toHaveLength(1);
      expect(await winner.command(roomId, '!resolve')).toMatchObject({ ok: true });
      await h.settle();
    }
  });

  it('never offers a full agent another conversation: the next goes to the other agent, then one waits', async () => {
    const patched = await h.api.patch(`/spaces/${h.space.id}`, { routing: { maxChatsDefault: 1 } });
    expect(patched.body.routing.maxChatsDefault).toBe(1);

    const first = nextCustomer();
    await first.say('first');
    const firstRoom = (await first.conversation()).room_id;
    await Promise.all([alice.invited(firstRoom), bob.invited(firstRoom)]);
    await alice.client.joinRoom(firstRoom);
    await first.next('You are now chatting with Alice.');
    await h.settle();

    const second = nextCustomer();
    await second.say('second');
    const secondRoom = (await second.conversation()).room_id;
    expect(await bob.invited(secondRoom)).toBe(secondRoom);
    await h.settle();
    expect(await h.member(secondRoom, alice.userId)).toEqual({});
    await bob.client.joinRoom(secondRoom);
    await second.next('You are now chatting with Bob.');

    const third = nextCustomer();
    await third.say('third');
    await third.next('You are being transferred to an agent. You are number 1 in the queue.');
    const fourth = nextCustomer();
    await fourth.say('fourth');
    await fourth.next('You are being transferred to an agent. You are number 2 in the queue.');
    await h.settle();
    const waiting = await third.conversation();
    expect(waiting.state).toBe('queued');
    expect(await h.query('SELECT 1 FROM offers WHERE conversation_id = $1', [waiting.id])).toEqual([]);
    const metrics = await fetch(`${h.bridge().appserviceUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(new RegExp(`livechat_queue_length\\{space="${h.space.id}"\\} 2\\n`));

    // Alice resolves: the oldest waiting conversation is offered to her.
    expect(await alice.command(firstRoom, '!resolve')).toMatchObject({ ok: true });
    expect(await alice.invited(waiting.room_id)).toBe(waiting.room_id);
    await alice.client.joinRoom(waiting.room_id);
    await third.next('You are now chatting with Alice.');
    // The fourth moved up; the customer is told, at most once a minute.
    await h.settle();
    expect(h.phone.messages.some((m) => m.to === fourth.address && m.text?.includes('now number'))).toBe(
      false,
    );
    h.clock.advance(61);
    await h.sweep();
    await fourth.next('You are now number 1 in the queue.');
  });
});
