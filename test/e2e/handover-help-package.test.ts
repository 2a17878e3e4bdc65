/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies: the assertions check their shape */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForJoin, waitForRoomEvent, waitUntil } from '../harness/env.ts';
import { createHandoverEnv, type Agent, type HandoverEnv } from './support/handover.ts';

/*
 * The example of the product docs, end to end: the space "Orders" has the WhatsApp sender
 * 5500112233 with the campaign "Help Package"; a customer writes the keyword, picks from the menu,
 * is handed over, an agent takes the conversation, answers, and resolves it.
 */

const HELP_PACKAGE = readFileSync(
  new URL('../../bot/flows/examples/help-package.yaml', import.meta.url),
  'utf8',
);

describe('the Help Package campaign, from keyword to resolved', () => {
  let h: HandoverEnv;
  let senderId: string;
  let campaignId: string;
  let ana: Agent;

  beforeAll(async () => {
    h = await createHandoverEnv();
    senderId = await h.addSender({ address: '5500112233' });
    ana = await h.seat('Ana');
    await ana.online();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('creates the campaign from its YAML through the API', async () => {
    const res = await h.api.post(`/spaces/${h.space.id}/campaigns`, {
      name: 'Help Package',
      senderId,
      keywords: ['Help Package'],
      flow: HELP_PACKAGE,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Help Package',
      senderId,
      keywords: ['Help Package'],
      default: false,
      revision: 1,
      warnings: [],
      flow: { start: 'menu', nodes: { menu: { type: 'menu' } } },
    });
    campaignId = res.body.id;
    const listed = await h.api.get(`/spaces/${h.space.id}/campaigns?senderId=${senderId}`);
    expect(listed.body.campaigns.map((c: any) => c.id)).toEqual([campaignId]);
  });

  it('refuses a broken flow naming the node, a keyword taken on the sender, and a sender of another space', async () => {
    const broken = HELP_PACKAGE.replace('next: ask_order', 'next: ask_ordr');
    const bad = await h.api.post(`/spaces/${h.space.id}/campaigns`, {
      name: 'Broken',
      senderId,
      keywords: ['broken'],
      flow: broken,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('LC_BAD_REQUEST');
    expect(bad.body.field).toBe('flow.nodes.menu.options[0].next');
    expect(bad.body.error).toMatch(
      /^flow\.nodes\.menu\.options\[0\]\.next: no node "ask_ordr" \(line \d+, column \d+\)$/,
    );

    const asObject = await h.api.post(`/spaces/${h.space.id}/campaigns`, {
      name: 'Broken',
      senderId,
      keywords: ['broken'],
      flow: {
        start: 'a',
        nodes: { a: { type: 'question', text: 'Email?', attribute: 'email', validate: 'emial', next: 'a' } },
      },
    });
    expect(asObject.status).toBe(400);
    expect(asObject.body.error).toMatch(/^flow\.nodes\.a\.validate: unknown validator "emial"/);

    const taken = await h.api.post(`/spaces/${h.space.id}/campaigns`, {
      name: 'Copy',
      senderId,
      keywords: ['other', 'HELP  package!'],
      flow: HELP_PACKAGE,
    });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({
      errcode: 'LC_KEYWORD_TAKEN',
      conflicts: [{ keyword: 'help package', campaignIds: [campaignId] }],
    });

    const other = (await h.api.post('/spaces', { name: 'Billing', seats: 1 })).body;
    const foreign = await h.api.post(`/spaces/${other.id}/campaigns`, {
      name: 'Help Package',
      senderId,
      keywords: ['Help Package'],
      flow: HELP_PACKAGE,
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.errcode).toBe('LC_NOT_FOUND');
  });

  it('answers the keyword with the menu as WhatsApp buttons', async () => {
    const ada = h.customer(senderId, '+14155550100', 'Ada');
    await ada.say('help package!');
    const menu = await ada.next();
    expect(menu.interactive).toEqual({
      body: 'Hi! How can we help you with your package?',
      style: 'buttons',
      options: [
        { id: 'menu:where', title: 'Where is my package?' },
        { id: 'menu:address', title: 'Change delivery add…' },
        { id: 'menu:agent', title: 'Talk to an agent' },
      ],
    });
    const { room_id: roomId, state } = await ada.conversation();
    expect(state).toBe('bot');
    // The room shows what the customer got (the buttons as a list), as the bot.
    await h.settle();
    const client = h.bridge().context.matrix.botIntent.matrixClient;
    const messages = await client.doRequest(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`,
      {
        dir: 'b',
        limit: 20,
      },
    );
    expect(messages.chunk.map((e: any) => e.content.body)).toContain(
      'Hi! How can we help you with your package?\n\n1. Where is my package?\n2. Change delivery add…\n3. Talk to an agent',
    );
  });

  it('collects the new address, hands over, and the agent who joins gets the conversation', async () => {
    const ada = h.customer(senderId, '+14155550100', 'Ada');
    await ada.tap('menu:address', 'Change delivery address');
    await ada.next('What is the new delivery address (street, number, city)?');
    await ada.say('Rua Augusta 1500, São Paulo');
    await ada.next('Thanks! An agent will confirm the new address with you.');
    await ada.next('You are being transferred to an agent. You are number 1 in the queue.');
    const { room_id: roomId, state } = await ada.conversation();
    expect(state).toBe('queued');

    expect(await ana.invited(roomId)).toBe(roomId);
    await ana.client.joinRoom(roomId);
    await ada.next('You are now chatting with Ana.');
    expect(await ada.conversation()).toMatchObject({ state: 'assigned', assigned: ana.userId });
    const takeover = await waitForRoomEvent(ana.client, {
      roomId,
      sender: h.bridge().botUserId,
      predicate: (e) => e.getContent().body === 'Ana has taken over this conversation.',
    });
    expect(takeover.getContent().msgtype).toBe('m.notice');
    const room = ana.client.getRoom(roomId)!;
    await waitUntil(
      ana.client,
      'the room name of an assigned conversation',
      () => (room.name === '🟢 Ada (+1 415 555 0100) — with Ana' ? true : undefined),
      () => room.name,
    );
  });

  it("delivers the agent's answer, and resolves with the resolved message", async () => {
    const ada = h.customer(senderId, '+14155550100', 'Ada');
    const { room_id: roomId } = await ada.conversation();
    await ana.client.sendTextMessage(roomId, 'Done: it goes to Rua Augusta 1500.');
    await ada.next('Done: it goes to Rua Augusta 1500.');
    const resolved = await ana.command(roomId, '!resolve');
    expect(resolved).toMatchObject({ ok: true, reply: expect.stringContaining('Resolved') });
    await ada.next('This conversation has been resolved. Write again any time if you need anything else.');
    expect(await ada.conversation()).toMatchObject({ state: 'resolved', assigned: null });
    await h.settle();
    const client = h.bridge().context.matrix.botIntent.matrixClient;
    expect(await client.getRoomStateEventContent(roomId, 'm.room.join_rules', '')).toEqual({
      join_rule: 'restricted',
      allow: [{ type: 'm.room_membership', room_id: h.space.matrix.spaceRoomId }],
    });
    expect((await client.getRoomStateEventContent(roomId, 'm.room.name', '')).name).toBe(
      '✅ Ada (+1 415 555 0100) — resolved',
    );
    // Any member of the space may now read it.
    const bruno = await h.seat('Bruno');
    await bruno.client.joinRoom(roomId);
    await waitForJoin(ana.client, roomId, bruno.userId);
    // The agent stays.
    expect((await h.member(roomId, ana.userId)).membership).toBe('join');
  });

  it("keeps the contact's attributes and journey, shown by GET /contacts/{id}", async () => {
    const { contact_id: contactId } = await h.customer(senderId, '+14155550100').conversation();
    const res = await h.api.get(`/contacts/${contactId}`);
    expect(res.status).toBe(200);
    expect(res.body.attributes).toEqual({
      delivery_address: {
        value: 'Rua Augusta 1500, São Paulo',
        type: 'text',
        setBy: 'customer',
        setAt: expect.any(String),
      },
    });
    const journey = res.body.journey as { type: string; actor: string; detail: any }[];
    expect(journey.map((j) => j.type)).toEqual([
      'campaign-start',
      'option-chosen',
      'attribute-set',
      'handover',
      'offer',
      'assign',
      'resolve',
    ]);
    expect(journey.find((j) => j.type === 'handover')).toMatchObject({
      actor: 'customer',
      detail: { from: 'bot', to: 'queued', reason: 'address change', trigger: 'node' },
    });
    expect(journey.find((j) => j.type === 'assign')).toMatchObject({
      actor: ana.userId,
      detail: { from: 'queued', to: 'assigned', agent: ana.userId, via: 'offer', policy: 'broadcast' },
    });
    expect(journey.find((j) => j.type === 'resolve')).toMatchObject({
      actor: ana.userId,
      detail: { from: 'assigned' },
    });
  });

  it('keeps a running conversation on the revision it started with', async () => {
    const bea = h.customer(senderId, '+14155550101', 'Bea');
    await bea.say('Help Package');
    await bea.next((m) => m.interactive !== undefined);
    const edited = HELP_PACKAGE.replace('What is your order number?', 'Your order number, please?');
    const patched = await h.api.patch(`/spaces/${h.space.id}/campaigns/${campaignId}`, { flow: edited });
    expect(patched.status).toBe(200);
    expect(patched.body.revision).toBe(2);
    await bea.say('1');
    await bea.next('What is your order number?');
    const cid = h.customer(senderId, '+14155550102', 'Cid');
    await cid.say('Help Package');
    await cid.next((m) => m.interactive !== undefined);
    await cid.say('1');
    await cid.next('Your order number, please?');
  });

  it('answers an unknown message with the keywords, or with the default campaign once there is one', async () => {
    const dan = h.customer(senderId, '+14155550103');
    await dan.say('hello?');
    await dan.next('Sorry, I did not understand that. You can write "Help Package".');
    expect((await dan.conversation()).state).toBe('bot');
    const patched = await h.api.patch(`/spaces/${h.space.id}/campaigns/${campaignId}`, { default: true });
    expect(patched.body.default).toBe(true);
    expect((await h.api.get(`/spaces/${h.space.id}`)).body.defaultCampaignId).toBe(campaignId);
    await dan.say('hello again');
    expect((await dan.next()).interactive).toMatchObject({
      body: 'Hi! How can we help you with your package?',
    });
  });

  it('counts offers, assignments, response and resolution times', async () => {
    const metrics = await fetch(`${h.bridge().appserviceUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/livechat_offers_total\{policy="broadcast",kind="queue"\} 1\n/);
    expect(metrics).toMatch(/livechat_assignments_total\{policy="broadcast",via="offer"\} 1\n/);
    expect(metrics).toMatch(/livechat_queue_wait_seconds_count\{policy="broadcast"\} 1\n/);
    expect(metrics).toMatch(/livechat_first_response_seconds_count 1\n/);
    expect(metrics).toMatch(/livechat_resolution_seconds_count 1\n/);
    expect(metrics).toMatch(/# TYPE livechat_queue_length gauge/);
  });
});
