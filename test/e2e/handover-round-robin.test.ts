import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandoverEnv, type Agent, type HandoverEnv } from './support/handover.ts';

/*
 * One agent at a time (round-robin), the next after the offer timeout; and when nobody can answer,
 * the offline message and the offline form, emailed to the space's admins. The clock is moved, not
 * waited for.
 */

describe('round-robin routing, timeouts and the offline form', () => {
  let h: HandoverEnv;
  let senderId: string;
  let alice: Agent;
  let bob: Agent;
  let carla: Agent;

  beforeAll(async () => {
    h = await createHandoverEnv({
      space: {
        routing: { policy: 'round-robin', offerTimeoutSeconds: 30, maxWaitSeconds: 120 },
        livechat: { enabled: true, offlineForm: true },
      },
    });
    senderId = await h.addSender({ address: '+14155550198', channel: 'whatsapp', mode: 'livechat' });
    alice = await h.seat('Alice');
    bob = await h.seat('Bob');
    carla = await h.seat('Carla', 'admin');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('offers to one agent, and to the next when the first does not answer in time', async () => {
    await alice.online();
    await bob.online();
    const dora = h.customer(senderId, '+14155550300', 'Dora');
    await dora.say('Hello?');
    await dora.next('You are being transferred to an agent. You are number 1 in the queue.');
    const { room_id: roomId, id } = await dora.conversation();
    expect(await alice.invited(roomId)).toBe(roomId);
    await h.settle();
    expect(await h.member(roomId, bob.userId)).toEqual({});

    h.clock.advance(29);
    await h.sweep();
    expect((await h.member(roomId, alice.userId)).membership).toBe('invite');

    h.clock.advance(2);
    await h.sweep();
    expect(await h.member(roomId, alice.userId)).toMatchObject({
      membership: 'leave',
      reason: 'Not taken within 30 s: offered to someone else',
    });
    expect(await bob.invited(roomId)).toBe(roomId);
    await bob.client.joinRoom(roomId);
    await dora.next('You are now chatting with Bob.');
    const offers = await h.query<{ agent_id: string; state: string }>(
      'SELECT agent_id, state FROM offers WHERE conversation_id = $1 ORDER BY offered_at',
      [id],
    );
    expect(offers).toEqual([
      { agent_id: alice.agentId, state: 'expired' },
      { agent_id: bob.agentId, state: 'accepted' },
    ]);
    const metrics = await fetch(`${h.bridge().appserviceUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/livechat_offer_timeouts_total\{policy="round-robin"\} 1\n/);
    expect(metrics).toMatch(/livechat_assignments_total\{policy="round-robin",via="offer"\} 1\n/);
  });

  it('tells the customer when nobody took the conversation within the space limit, and keeps it queued', async () => {
    await bob.offline();
    const emil = h.customer(senderId, '+14155550301', 'Emil');
    await emil.say('Anyone there?');
    await emil.next('You are being transferred to an agent. You are number 1 in the queue.');
    const { room_id: roomId } = await emil.conversation();
    expect(await alice.invited(roomId)).toBe(roomId);
    h.clock.advance(121);
    await h.sweep();
    await emil.next(
      'All our agents are busy or offline right now. We will get back to you as soon as possible.',
    );
    await emil.next(/^Please leave your name, email address and message/);
    expect((await emil.conversation()).state).toBe('queued');
    // Once only.
    h.clock.advance(121);
    await h.sweep();
    expect(
      h.phone.messages.filter((m) => m.to === emil.address && m.text?.startsWith('All our agents')),
    ).toHaveLength(1);
    // It is still offered: the invitation that timed out went round to Alice again, and she takes it.
    await h.settle();
    expect((await h.member(roomId, alice.userId)).membership).toBe('invite');
    await alice.client.joinRoom(roomId);
    await emil.next('You are now chatting with Alice.');
    expect(await h.query(`SELECT status FROM flow_runs WHERE kind = 'offline-form'`)).toEqual([
      { status: 'cancelled' },
    ]);
  });

  it('with everyone offline, collects name, email and message and emails them to the admins', async () => {
    await alice.offline();
    const fay = h.customer(senderId, '+14155550302', 'Fay');
    await fay.say('Is the shop open on Sunday?');
    await fay.next('Hello! How can we help you today?');
    await fay.next(
      'All our agents are busy or offline right now. We will get back to you as soon as possible.',
    );
    await fay.next(
      'Please leave your name, email address and message, and we will get back to you by email. What is your name?',
    );
    await fay.say('Fay Wray');
    await fay.next('Thank you, Fay Wray. What is your email address?');
    await fay.say('not an email');
    await fay.next(/email address/i);
    await fay.say('fay@example.org');
    await fay.next('What would you like to tell us?');
    await fay.say('Is the shop open on Sunday? I need a box.');
    await fay.next('Thank you! Your message was passed on; we will get back to you by email.');

    const adminEmail = `${carla.userId.slice(1).split(':')[0]}@example.net`;
    const mail = await h.smtp.waitForEmail((m) => m.subject?.includes('offline form') ?? false);
    expect(mail.subject).toBe('Orders: message from Fay Wray (offline form)');
    expect(mail.to).toMatchObject({ text: adminEmail });
    expect(mail.replyTo).toMatchObject({ text: 'fay@example.org' });
    expect(mail.text).toContain('Name: Fay Wray');
    expect(mail.text).toContain('Email: fay@example.org');
    expect(mail.text).toContain('Message: Is the shop open on Sunday? I need a box.');
    expect(mail.text).toContain('Fay (+1 415 555 0302) wrote to Orders (WhatsApp on +1 415 555 0198)');

    const { contact_id: contactId, state } = await fay.conversation();
    expect(state).toBe('queued');
    const contact = (await h.api.get(`/contacts/${contactId}`)).body;
    expect(contact.attributes).toMatchObject({
      name: { value: 'Fay Wray', type: 'text', setBy: 'customer' },
      email: { value: 'fay@example.org', type: 'email', setBy: 'customer' },
    });
    expect(contact.journey.map((j: { type: string }) => j.type)).toEqual([
      'handover',
      'offline',
      'offline-form',
      'offline-form',
    ]);
  });
});
