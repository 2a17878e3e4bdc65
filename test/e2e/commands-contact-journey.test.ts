/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies: the assertions check their shape */
import { describe, expect, it } from 'vitest';
import { waitForRoomEvent } from '../harness/env.ts';
import { openDm, runCommand } from './support/commands.ts';
import { useContactScene } from './support/contact.ts';

/*
 * Around the contact profile (commands-contact-profile.test.ts): the journey, with messages counted
 * rather than copied; the profile commands refused to people without a seat and outside
 * conversation rooms; and none of it, nor a thread, reaching the customer's phone.
 */

describe('the journey and the limits of the contact profile', () => {
  const scene = useContactScene();

  it('shows the journey: messages counted, not copied', async () => {
    const { h, alice, gus, room, contactId, agent } = scene;
    await alice.client.sendTextMessage(room, 'Sorry about that, Gus. Checking now.');
    await gus.next('Sorry about that, Gus. Checking now.');
    await gus.say('Thanks');
    await waitForRoomEvent(alice.client, {
      roomId: room,
      predicate: (e) => e.getContent().body === 'Thanks',
    });
    await h.settle();
    const journey = await agent('!journey 3');
    expect(journey.ok).toBe(true);
    const lines = journey.reply.split('\n');
    expect(lines[0]).toBe('The last 3 events of Gus (+1 415 555 0410):');
    expect(lines[1]).toMatch(new RegExp(` · assigned to ${alice.userId} \\(offer\\) — ${alice.userId}$`));
    expect(lines[2]).toMatch(/ · first answer from an agent after \d+ (s|min) — @alice/);
    expect(lines[3]).toMatch(
      new RegExp(` · messages: 1 from the customer, 1 from agents — ${alice.userId}$`),
    );
    const all = (await h.api.get(`/contacts/${contactId}`)).body.journey;
    expect(all[0]).toMatchObject({ type: 'messages', actor: 'customer', detail: { customer: 1, agent: 0 } });
    expect(
      all.filter((j: any) => j.type === 'messages').map((j: any) => j.detail.customer + j.detail.agent),
    ).toEqual([1, 2]);
    expect(await agent('!journey 0')).toEqual({
      ok: false,
      reply: '<n> must be a whole number ≥ 1 and ≤ 100, not "0". Usage: !journey [n]',
    });
    expect(await agent('!contact now')).toEqual({ ok: false, reply: 'unexpected "now". Usage: !contact' });
  });

  it('refuses the profile commands to people without a seat and outside conversation rooms', async () => {
    const { h, ada, alice, contactId, control, agent } = scene;
    const before = (await h.api.get(`/contacts/${contactId}`)).body;
    const stranger = await h.env.login(await h.env.createUser());
    const dm = await openDm(stranger, h.bridge().botUserId);
    for (const line of ['!note hello', '!tag vip', '!set plan=Free', '!contact', '!journey']) {
      expect(await runCommand(stranger, h.bridge().botUserId, dm, line), line).toEqual({
        ok: false,
        reply: `${line.split(' ')[0]} needs the agent role in any space.`,
      });
    }
    for (const line of [
      '!note hello',
      '!tag vip',
      '!untag vip',
      '!set plan=Free',
      '!contact',
      '!journey 5',
    ]) {
      expect(await alice.command(alice.dm, line), line).toEqual({
        ok: false,
        reply: `${line.split(' ')[0]} works in a conversation room, not here.`,
      });
    }
    expect(await ada.command(control, '!tag vip')).toEqual({
      ok: false,
      reply: '!tag works in a conversation room, not here.',
    });
    expect(await agent('!untag')).toEqual({ ok: false, reply: '<name> is missing. Usage: !untag <name>' });
    expect(await agent('!tag vip wholesale')).toEqual({
      ok: false,
      reply: 'unexpected "wholesale". Usage: !tag <name>',
    });
    expect((await h.api.get(`/contacts/${contactId}`)).body).toEqual(before);
  });

  it('never sends commands, their answers or thread messages to the customer', async () => {
    const { h, alice, gus, room } = scene;
    await alice.client.sendMessage(room, {
      msgtype: 'm.text',
      body: 'internal: he called twice already',
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: (await alice.client.sendTextMessage(room, '!contact')).event_id,
      },
    } as never);
    await alice.client.sendTextMessage(room, 'We found your parcel.');
    await gus.next('We found your parcel.');
    await h.settle();
    // Everything Gus's phone ever received: the live-assistant messages and Alice's two messages.
    expect(h.phone.messages.filter((m) => m.to === gus.address).map((m) => m.text)).toEqual([
      'Hello! How can we help you today?',
      'You are being transferred to an agent. You are number 1 in the queue.',
      'You are now chatting with Alice.',
      'Sorry about that, Gus. Checking now.',
      'We found your parcel.',
    ]);
  });
});
