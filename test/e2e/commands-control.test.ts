/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies: the assertions check their shape */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkIn, sentTo } from './provisioning/links.ts';
import { openDm, runCommand, seatAdmin } from './support/commands.ts';
import { createHandoverEnv, type Agent, type Customer, type HandoverEnv } from './support/handover.ts';

/*
 * The control room, as admins use it from their Matrix client: the queue, the agents, assigning,
 * seats and invitations, senders, campaigns and statistics. Agents are refused every one of these
 * and nothing changes; a command in the wrong room or with bad arguments gets where it works and
 * its usage.
 */

describe('control room commands', () => {
  let h: HandoverEnv;
  let ada: Agent;
  let alice: Agent;
  let bob: Agent;
  let gus: Customer;
  let hana: Customer;
  let control: string;
  let livechat: string;
  let chatbot: string;

  const state = async () => ({
    invitations: await h.query('SELECT id, email, status FROM invitations ORDER BY created_at'),
    tags: await h.query('SELECT name FROM space_tags'),
    conversations: await h.query(
      'SELECT number, state, assigned_agent_id FROM conversations ORDER BY number',
    ),
    offers: await h.query('SELECT id, state FROM offers ORDER BY id'),
  });

  beforeAll(async () => {
    h = await createHandoverEnv({ space: { seats: 4 } });
    control = h.space.matrix.controlRoomId;
    livechat = await h.addSender({ address: '+14155550180', channel: 'sms', mode: 'livechat' });
    chatbot = await h.addSender({ address: '+14155550181', channel: 'sms', mode: 'chatbot' });
    const campaign = await h.api.post(`/spaces/${h.space.id}/campaigns`, {
      name: 'Refunds',
      senderId: chatbot,
      keywords: ['refund'],
      flow: { start: 'ask', nodes: { ask: { type: 'handover', reason: 'refund request' } } },
    });
    expect(campaign.status).toBe(201);
    ada = await seatAdmin(h, 'Ada');
    alice = await h.seat('Alice');
    bob = await h.seat('Bob');
    // Nobody is online: both customers wait in the queue.
    gus = h.customer(livechat, '+14155550401', 'Gus');
    await gus.say('Hello, anyone there?');
    await gus.next(/^All our agents are busy/);
    hana = h.customer(chatbot, '+14155550402', 'Hana');
    await hana.say('Refund');
    await hana.next(/^All our agents are busy/);
    await h.settle();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const admin = (line: string) => ada.command(control, line);

  it('lists the waiting conversations with their number, wait, reason and room link', async () => {
    const rooms = await h.query<{ number: number; room_id: string }>(
      'SELECT number, room_id FROM conversations ORDER BY number',
    );
    expect(rooms.map((r) => r.number)).toEqual([1, 2]);
    const answer = await admin('!queue');
    expect(answer.ok).toBe(true);
    const lines = answer.reply.split('\n');
    expect(lines[0]).toBe('2 conversations waiting:');
    expect(lines[1]).toMatch(
      /^1\. #1 Gus \(\+1 415 555 0401\) — waiting \d+ s · not offered to anyone · told nobody is available · https:\/\/matrix\.to\/#\//,
    );
    expect(lines[1]).toContain(encodeURIComponent(rooms[0]!.room_id));
    expect(lines[2]).toMatch(/^2\. #2 Hana \(\+1 415 555 0402\) — waiting \d+ s · reason: refund request · /);
    expect(lines[2]).toContain(encodeURIComponent(rooms[1]!.room_id));
    expect(lines.at(-1)).toBe('Give one to someone with !assign #number @agent.');
  });

  it('lists the agents: online or not, open conversations and capacity', async () => {
    await alice.online();
    await h.settle();
    const answer = await admin('!agents');
    expect(answer.ok).toBe(true);
    const lines = answer.reply.split('\n');
    expect(lines[0]).toBe('3 seat holders, 1 online:');
    expect(lines).toContain(`⚪ Ada (${ada.userId}) — admin · offline · 0/5 open`);
    // Online, Alice was offered both waiting conversations (broadcast).
    expect(lines).toContain(
      `🟢 Alice (${alice.userId}) — agent · online · 0/5 open · 2 offers waiting for them`,
    );
    expect(lines).toContain(`⚪ Bob (${bob.userId}) — agent · offline · 0/5 open`);
  });

  it('refuses every admin command to an agent, in a DM or a conversation room, and nothing changes', async () => {
    const before = await state();
    const refusals = [
      '!queue',
      '!agents',
      `!assign #1 ${alice.userId}`,
      '!seats',
      '!invite someone@example.net',
      '!senders',
      '!campaigns',
      '!stats',
      '!tags create vip',
    ];
    for (const line of refusals) {
      const answer = await alice.command(alice.dm, line);
      expect(answer, line).toEqual({
        ok: false,
        reply: `${line.split(' ')[0]} needs the admin role in any space.`,
      });
    }
    const room = (await gus.conversation()).room_id;
    await alice.client.joinRoom(await alice.invited(room));
    await gus.next('You are now chatting with Alice.');
    await h.settle();
    const inRoom = await alice.command(room, '!assign #2 ' + alice.userId);
    expect(inRoom).toEqual({ ok: false, reply: '!assign needs the admin role in this space.' });
    const after = await state();
    // Only Alice's own join changed things (she took #1); the refused commands did nothing.
    expect(after.invitations).toEqual(before.invitations);
    expect(after.tags).toEqual([]);
    expect(after.conversations.find((c: any) => c.number === 2)).toEqual(
      before.conversations.find((c: any) => c.number === 2),
    );
    expect(h.smtp.messages.filter(sentTo('someone@example.net'))).toEqual([]);
  });

  it('assigns a conversation to an agent: invited, assigned, the customer told', async () => {
    const hanaRoom = (await hana.conversation()).room_id;
    const answer = await admin(`!assign #2 ${bob.userId}`);
    expect(answer.ok).toBe(true);
    expect(answer.reply).toBe(
      `#2 (Hana (+1 415 555 0402)) is assigned to ${bob.userId}; they are invited into the room. ` +
        `${bob.userId} is offline: they will find it when they come back. https://matrix.to/#/${encodeURIComponent(hanaRoom)}`,
    );
    expect(await bob.invited(hanaRoom)).toBe(hanaRoom);
    await hana.next('You are now chatting with Bob.');
    expect(await hana.conversation()).toMatchObject({ state: 'assigned', assigned: bob.userId });
    await h.settle();
    // Alice's offer of #2 was withdrawn with the reason.
    expect(await h.member(hanaRoom, alice.userId)).toMatchObject({
      membership: 'leave',
      reason: `Taken by ${bob.userId}`,
    });
    await bob.client.joinRoom(hanaRoom);
    await h.settle();
    expect((await hana.conversation()).assigned).toBe(bob.userId);
    const journey = await h.query<{ type: string; actor: string; detail: any }>(
      `SELECT type, actor, detail FROM journey WHERE conversation_id = (SELECT id FROM conversations WHERE number = 2)
       AND type = 'assign'`,
    );
    expect(journey).toEqual([
      {
        type: 'assign',
        actor: ada.userId,
        detail: expect.objectContaining({ agent: bob.userId, via: 'manual' }),
      },
    ]);
  });

  it('moves an assigned conversation to another agent, and explains what it cannot do', async () => {
    const hanaRoom = (await hana.conversation()).room_id;
    expect(await admin(`!assign #2 ${bob.userId}`)).toEqual({
      ok: false,
      reply: `#2 (Hana (+1 415 555 0402)) is already assigned to ${bob.userId}.`,
    });
    expect(await admin(`!assign #9 ${bob.userId}`)).toEqual({
      ok: false,
      reply: 'There is no conversation #9 in this space.',
    });
    const stranger = await h.env.createUser();
    expect(await admin(`!assign #2 ${stranger.userId}`)).toEqual({
      ok: false,
      reply: `${stranger.userId} has no seat in this space.`,
    });
    expect(await admin('!assign #2 bob')).toEqual({
      ok: false,
      reply:
        '<agent> must be a Matrix user ID like @alice:example.com, not "bob". Usage: !assign <conversation> <agent>',
    });
    expect(await admin(`!assign yesterday ${bob.userId}`)).toEqual({
      ok: false,
      reply:
        '<conversation> must be a conversation number like #12, a room ID or a matrix.to link, not "yesterday". Usage: !assign <conversation> <agent>',
    });
    // By its matrix.to link: from Bob to Alice, a transfer made by the admin.
    const moved = await admin(`!assign https://matrix.to/#/${encodeURIComponent(hanaRoom)} ${alice.userId}`);
    expect(moved).toMatchObject({
      ok: true,
      reply: expect.stringContaining(`is assigned to ${alice.userId}`),
    });
    await hana.next('You are now chatting with Alice.');
    await alice.client.joinRoom(await alice.invited(hanaRoom));
    await h.settle();
    expect((await hana.conversation()).assigned).toBe(alice.userId);
    expect(await h.member(hanaRoom, bob.userId)).toMatchObject({ membership: 'leave' });
  });

  it('shows each agent their own conversations, wherever they ask', async () => {
    const [gusRoom, hanaRoom] = [(await gus.conversation()).room_id, (await hana.conversation()).room_id];
    const mine = await alice.command(alice.dm, '!mine');
    expect(mine.ok).toBe(true);
    const lines = mine.reply.split('\n');
    expect(lines[0]).toBe('Your open conversations (2):');
    expect(lines[1]).toMatch(/^#1 Gus \(\+1 415 555 0401\) · since \d+ s · https:\/\/matrix\.to\/#\//);
    expect(lines[1]).toContain(encodeURIComponent(gusRoom));
    expect(lines[2]).toContain(encodeURIComponent(hanaRoom));
    expect(await bob.command(bob.dm, 'mine')).toEqual({ ok: true, reply: 'You have no open conversations.' });
    // Someone without a seat is refused.
    const stranger = await h.env.login(await h.env.createUser());
    const dm = await openDm(stranger, h.bridge().botUserId);
    expect(await runCommand(stranger, h.bridge().botUserId, dm, '!mine')).toEqual({
      ok: false,
      reply: '!mine needs the agent role in any space.',
    });
  });

  it('shows the seats, and invites by email with the same rules and email as the API', async () => {
    expect(await admin('!seats')).toEqual({
      ok: true,
      reply: 'Seats: 4 in total · 3 used · 0 reserved by pending invitations · 1 available.',
    });
    const invited = await admin('!invite Nina.Lopes@example.net agent Nina Lopes');
    expect(invited.ok).toBe(true);
    expect(invited.reply).toMatch(
      /^Invitation sent to Nina\.Lopes@example\.net as agent: the link works until \d{4}-\d\d-\d\d \d\d:\d\d UTC\. Seats available now: 0\.$/,
    );
    const mail = await h.smtp.waitForEmail(sentTo('nina.lopes@example.net'));
    expect(mail.subject).toBe('You are invited to Orders (live chat)');
    expect(mail.text).toContain('Hello Nina Lopes,');
    expect(linkIn(mail).link).toMatch(/\/invitations\//);
    const listed = await h.api.get(`/spaces/${h.space.id}/invitations`);
    expect(listed.body.invitations.map((i: any) => [i.email, i.name, i.role, i.status])).toEqual(
      expect.arrayContaining([['Nina.Lopes@example.net', 'Nina Lopes', 'agent', 'pending']]),
    );
    expect(await admin('!seats')).toEqual({
      ok: true,
      reply: 'Seats: 4 in total · 3 used · 1 reserved by pending invitations · 0 available.',
    });

    const before = await h.query('SELECT id FROM invitations');
    const full = await admin('!invite omar@example.net admin');
    expect(full.ok).toBe(false);
    expect(full.reply).toBe(
      'Not invited (LC_NO_SEATS): 1 invitation(s) requested but only 0 seat(s) available (limit 4, 3 used, 1 pending). ' +
        'Nothing was created. Free a seat (remove someone, revoke an invitation) or ask for a higher limit.',
    );
    const again = await admin('!invite nina.lopes@example.net');
    expect(again.reply).toBe(
      'Not invited (LC_ALREADY_INVITED): Already in this space: nina.lopes@example.net (invited)',
    );
    expect(await h.query('SELECT id FROM invitations')).toEqual(before);

    expect(await admin('!invite omar')).toEqual({
      ok: false,
      reply:
        '<email> must be an email address like ana@example.com, not "omar". Usage: !invite <email> [role] [name…]',
    });
    expect(await admin('!invite omar@example.net boss')).toEqual({
      ok: false,
      reply: '<role> must be one of agent, admin, not "boss". Usage: !invite <email> [role] [name…]',
    });
  });

  it('lists the senders and campaigns', async () => {
    const senders = await admin('!senders');
    expect(senders).toEqual({
      ok: true,
      reply: [
        '2 senders:',
        '· SMS +1 415 555 0180 — simulator, livechat mode, 1 open conversation',
        '· SMS +1 415 555 0181 — simulator, chatbot mode, 1 open conversation',
      ].join('\n'),
    });
    expect(await admin('!campaigns')).toEqual({
      ok: true,
      reply: ['1 campaign:', '· Refunds — on SMS +1 415 555 0181, keywords "refund", revision 1, 1 run'].join(
        '\n',
      ),
    });
  });

  it('computes statistics from the journey: conversations, handovers, response and resolution times', async () => {
    const gusRoom = (await gus.conversation()).room_id;
    h.clock.advance(90);
    await alice.client.sendTextMessage(gusRoom, 'Hi Gus, how can I help?');
    await gus.next('Hi Gus, how can I help?');
    h.clock.advance(600);
    expect(await alice.command(gusRoom, '!resolve')).toMatchObject({ ok: true });
    await gus.next(/^This conversation has been resolved/);
    await h.settle();
    const stats = await admin('!stats today');
    expect(stats.ok).toBe(true);
    const lines = stats.reply.split('\n');
    expect(lines[0]).toBe('Statistics for today (since 00:00 UTC):');
    expect(lines[1]).toBe('Conversations: 2 (2 new, 0 reopened)');
    expect(lines[2]).toBe('Handovers to agents: 2');
    // Gus waited from his handover to Alice's first message: the 90 s the clock moved, plus the
    // real time the tests before took; one response, so median and p90 are the same.
    const [first] = await h.query<{ seconds: number }>(
      `SELECT (detail->>'seconds')::float8 AS seconds FROM journey WHERE type = 'first-response'`,
    );
    expect(first!.seconds).toBeGreaterThanOrEqual(90);
    expect(first!.seconds).toBeLessThan(600);
    const fr = /^First response: median (\d+ min(?: \d+ s)?), p90 (\d+ min(?: \d+ s)?) \(1 response\)$/.exec(
      lines[3]!,
    );
    expect(fr?.[1]).toBe(fr?.[2]);
    expect(Number(fr![1]!.split(' ')[0])).toBe(Math.floor(Math.round(first!.seconds) / 60));
    expect(lines[4]).toMatch(/^Resolution: median (\d+) min, p90 \1 min \(1 resolution\)$/);
    expect(Number(/median (\d+)/.exec(lines[4]!)![1])).toBeGreaterThanOrEqual(11);
    expect(lines[5]).toBe('Resolved by the bot alone: 0% (0 of 1 ended)');
    expect((await admin('!stats 30d')).reply).toContain('Statistics for the last 30 days:');
    expect(await admin('!stats year')).toEqual({
      ok: false,
      reply:
        '<period>: the period must be today, week, month or a number of days like 14d (1–365), not "year". Usage: !stats [period]',
    });
  });

  it('refuses a command in the wrong room, saying where it works, and extra words with the usage', async () => {
    const control = [
      '!queue',
      '!agents',
      `!assign #1 ${bob.userId}`,
      '!seats',
      '!invite omar@example.net',
      '!senders',
      '!campaigns',
      '!stats',
      '!tags',
    ];
    for (const line of control) {
      const name = line.split(' ')[0];
      expect(await ada.command(ada.dm, line), line).toEqual({
        ok: false,
        reply: `${name} works in a space's control room, not here.`,
      });
    }
    expect(await admin('!note Call back tomorrow')).toEqual({
      ok: false,
      reply: '!note works in a conversation room, not here.',
    });
    for (const name of ['queue', 'agents', 'seats', 'senders', 'campaigns']) {
      expect(await admin(`!${name} now`)).toEqual({ ok: false, reply: `unexpected "now". Usage: !${name}` });
    }
    expect(await admin('!assign #1')).toEqual({
      ok: false,
      reply: '<agent> is missing. Usage: !assign <conversation> <agent>',
    });
    expect(await admin('!tags create')).toEqual({ ok: false, reply: 'Usage: !tags create <name>' });
    expect(await admin('!tags rename vip')).toEqual({
      ok: false,
      reply:
        '<action> must be one of list, create, delete, not "rename". Usage: !tags [action] [name] [description…]',
    });
    expect(await alice.command(alice.dm, '!mine all')).toEqual({
      ok: false,
      reply: 'unexpected "all". Usage: !mine',
    });
    const help = await admin('!help');
    for (const name of [
      'queue',
      'agents',
      'assign',
      'seats',
      'invite',
      'senders',
      'campaigns',
      'stats',
      'tags',
      'mine',
    ])
      expect(help.reply).toContain(`!${name}`);
  });
});
