/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies: the assertions check their shape */
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../harness/env.ts';
import { eventually, useContactScene } from './support/contact.ts';

/*
 * The contact profile from the conversation room: notes, tags, attributes and the profile, by an
 * agent's matrix-js-sdk client; the same profile through GET/PATCH /contacts/{id} and the space's
 * tags through the API; and the room's contact card following it. The journey, who may use these
 * commands and what reaches the customer's phone: commands-contact-journey.test.ts.
 */

describe('the contact profile in the conversation room', () => {
  const scene = useContactScene();

  it('shows a contact card on the room from the first message: topic and io.livechat.contact', async () => {
    const { h, room, contactId, card } = scene;
    expect(await card()).toEqual({
      contactId,
      conversation: 1,
      name: 'Gus',
      displayName: 'Gus (+1 415 555 0410)',
      channel: 'sms',
      address: '+14155550410',
      attributes: {},
      tags: ['new'],
      notes: 0,
    });
    const topic = await h
      .bridge()
      .context.matrix.botIntent.matrixClient.getRoomStateEventContent(room, 'm.room.topic', '');
    expect(topic.topic).toBe('SMS with +1 415 555 0410 on +1 415 555 0190 · #1 · tags: new');
  });

  it('keeps internal notes', async () => {
    const { h, alice, gus, contactId, agent } = scene;
    expect(await agent('!note Prefers a call after 5pm;  not on weekends')).toEqual({
      ok: true,
      reply: 'Note saved (internal: the customer does not see it). This contact has 1 note.',
    });
    expect(await agent('!note')).toEqual({
      ok: false,
      reply: '<text> is missing. Usage: !note <text…>',
    });
    const contact = (await h.api.get(`/contacts/${contactId}`)).body;
    expect(contact.notes).toEqual([
      {
        id: expect.any(String),
        text: 'Prefers a call after 5pm;  not on weekends',
        author: alice.userId,
        conversationId: (await gus.conversation()).id,
        createdAt: expect.any(String),
      },
    ]);
    expect(contact.journey.at(-1)).toMatchObject({
      type: 'note',
      actor: alice.userId,
      detail: { excerpt: 'Prefers a call after 5pm;  not on weekends' },
    });
  });

  it("tags with the space's tags only: an unknown name is refused with the list", async () => {
    const { ada, control, agent, card } = scene;
    expect(await agent('!tag vip')).toEqual({
      ok: false,
      reply:
        'There is no tag "vip" in this space. Tags: (none yet). An admin can add one with !tags create <name> in the control room.',
    });
    expect(await agent('!tags create vip')).toEqual({
      ok: false,
      reply: '!tags needs the admin role in this space.',
    });
    expect(await ada.command(control, '!tags create vip Buys more than 10 a month')).toEqual({
      ok: true,
      reply: 'Tag vip created: agents can now use !tag vip in conversation rooms.',
    });
    expect(await ada.command(control, '!tags create new')).toEqual({
      ok: false,
      reply: '"new" is set automatically by the bot; choose another name',
    });
    await ada.command(control, '!tags create wholesale');
    expect(await agent('!tag vipp')).toEqual({
      ok: false,
      reply:
        'There is no tag "vipp" in this space. Tags: vip, wholesale. An admin can add one with !tags create <name> in the control room.',
    });
    expect(await agent('!tag VIP')).toEqual({ ok: true, reply: 'Tagged vip.' });
    expect(await agent('!tag vip')).toEqual({
      ok: true,
      reply: 'Gus (+1 415 555 0410) already has the tag vip.',
    });
    expect(await agent('!untag wholesale')).toEqual({
      ok: false,
      reply: 'This contact has no tag "wholesale". Their tags: new, vip.',
    });
    expect(await agent('!tag')).toEqual({ ok: false, reply: '<name> is missing. Usage: !tag <name>' });
    expect(await ada.command(control, '!tags')).toEqual({
      ok: true,
      reply: ['2 tags:', '· vip — Buys more than 10 a month (1 contact)', '· wholesale (0 contacts)'].join(
        '\n',
      ),
    });
    await eventually('the card', card, (c: any) => c.tags.includes('vip'));
  });

  it('sets attributes, checked by type, with who set them', async () => {
    const { h, alice, contactId, agent } = scene;
    expect(await agent('!set email=Gus@Example.COM')).toEqual({
      ok: true,
      reply: 'email = Gus@example.com.',
    });
    expect(await agent('!set email = not-an-email')).toEqual({
      ok: false,
      reply: 'email must be an email address, e.g. ana@example.com, not "not-an-email"',
    });
    // A national number is read in the contact's own country.
    expect(await agent('!set phone=(415) 555-0123')).toEqual({ ok: true, reply: 'phone = +14155550123.' });
    expect(await agent('!set country=pt')).toEqual({ ok: true, reply: 'country = PT.' });
    expect(await agent('!set country=XX')).toEqual({
      ok: false,
      reply: 'country must be an ISO 3166 country code of two letters, e.g. PT or US, not "XX"',
    });
    expect(await agent('!set birthday=2001-02-30')).toEqual({
      ok: false,
      reply: 'birthday must be a date as YYYY-MM-DD, e.g. 2026-03-14, not "2001-02-30"',
    });
    expect(await agent('!set plan=Gold (yearly)')).toEqual({ ok: true, reply: 'plan = Gold (yearly).' });
    expect(await agent('!set plan=Silver')).toEqual({
      ok: true,
      reply: 'plan = Silver (was Gold (yearly)).',
    });
    expect(await agent('!set plan')).toEqual({
      ok: false,
      reply:
        'Write the attribute and its value with =, e.g. !set email=ana@example.com (!set email= removes it).',
    });
    expect(await agent('!set 9lives=yes')).toEqual({
      ok: false,
      reply: '"9lives" is not an attribute name: a letter, then letters, digits, _ . or - (at most 64)',
    });
    const contact = (await h.api.get(`/contacts/${contactId}`)).body;
    expect(contact.attributes).toEqual({
      email: { value: 'Gus@example.com', type: 'email', setBy: alice.userId, setAt: expect.any(String) },
      phone: { value: '+14155550123', type: 'phone', setBy: alice.userId, setAt: expect.any(String) },
      country: { value: 'PT', type: 'country', setBy: alice.userId, setAt: expect.any(String) },
      plan: { value: 'Silver', type: 'text', setBy: alice.userId, setAt: expect.any(String) },
    });
    expect(contact.tags).toEqual(['new', 'vip']);
    const recent = contact.journey
      .slice(-6)
      .map((j: any) => [j.type, j.actor, j.detail.name ?? j.detail.tag, j.detail.value]);
    expect(recent).toEqual([
      ['tag', alice.userId, 'vip', undefined],
      ['attribute-set', alice.userId, 'email', 'Gus@example.com'],
      ['attribute-set', alice.userId, 'phone', '+14155550123'],
      ['attribute-set', alice.userId, 'country', 'PT'],
      ['attribute-set', alice.userId, 'plan', 'Gold (yearly)'],
      ['attribute-set', alice.userId, 'plan', 'Silver'],
    ]);
  });

  it('changes the profile through the API: checked, all or nothing, shown by contact', async () => {
    const { h, alice, room, contactId, agent, card } = scene;
    const bad = await h.api.patch(`/contacts/${contactId}`, {
      attributes: { company: 'Acme', email: 'nope' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errcode: 'LC_BAD_REQUEST', field: 'attributes.email' });
    const unknown = await h.api.patch(`/contacts/${contactId}`, { tags: { add: ['gold'] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      field: 'tags.add[0]',
      error: 'tags.add[0]: There is no tag "gold" in this space. Tags: vip, wholesale.',
    });
    expect((await h.api.get(`/contacts/${contactId}`)).body.attributes.company).toBeUndefined();

    const patched = await h.api.patch(`/contacts/${contactId}`, {
      attributes: { company: 'Acme Ltd', employees: 42, email: null },
      tags: { add: ['wholesale'], remove: ['new'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.attributes).toMatchObject({
      company: { value: 'Acme Ltd', type: 'text', setBy: 'api' },
      employees: { value: '42', setBy: 'api' },
    });
    expect(patched.body.attributes.email).toBeUndefined();
    expect(patched.body.tags).toEqual(['vip', 'wholesale']);
    expect(patched.body.journey.slice(-5).map((j: any) => [j.type, j.actor])).toEqual([
      ['attribute-set', 'api'],
      ['attribute-set', 'api'],
      ['attribute-removed', 'api'],
      ['tag', 'api'],
      ['untag', 'api'],
    ]);

    const profile = await agent('!contact');
    expect(profile.ok).toBe(true);
    const lines = profile.reply.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'Gus (+1 415 555 0410) — SMS +1 415 555 0410',
      'Conversation #1: assigned to an agent.',
    ]);
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}company = Acme Ltd \(set by the API, \d{4}-.* UTC\)$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^ {2}plan = Silver \\(set by ${alice.userId}, `)),
    );
    expect(lines.some((l) => l.startsWith('  email ='))).toBe(false);
    expect(lines).toContain('Tags: vip, wholesale.');
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^Notes: 1 \\(latest by ${alice.userId}, .* UTC: Prefers a call after 5pm;  not on weekends\\)$`,
        ),
      ),
    );
    expect(lines).toContain('Last events:');
    expect(lines.at(-2)).toMatch(/ · tag new removed — the API$/);

    const cardNow = await eventually('the card', card, (c: any) => c.attributes.company === 'Acme Ltd');
    expect(cardNow).toMatchObject({
      tags: ['vip', 'wholesale'],
      attributes: {
        company: 'Acme Ltd',
        employees: '42',
        phone: '+14155550123',
        country: 'PT',
        plan: 'Silver',
      },
      notes: 1,
    });
    const topic = await eventually(
      'the topic',
      () =>
        h.bridge().context.matrix.botIntent.matrixClient.getRoomStateEventContent(room, 'm.room.topic', ''),
      (t: any) => t.topic.includes('company: Acme Ltd'),
    );
    expect(topic.topic).toContain('#1 · tags: vip, wholesale · ');
    // The agent's own client sees the card as room state.
    await waitUntil(
      alice.client,
      'the contact card',
      () =>
        alice.client.getRoom(room)?.currentState.getStateEvents('io.livechat.contact', '')?.getContent()
          .attributes?.company === 'Acme Ltd'
          ? true
          : undefined,
      () => 'no card with the company yet',
    );
  });

  it('keeps the tags of the space through the API', async () => {
    const { h, ada, contactId, card } = scene;
    const listed = await h.api.get(`/spaces/${h.space.id}/tags`);
    expect(listed.body.tags.map((t: any) => [t.name, t.contacts, t.createdBy])).toEqual([
      ['vip', 1, ada.userId],
      ['wholesale', 1, ada.userId],
    ]);
    const created = await h.api.post(`/spaces/${h.space.id}/tags`, {
      name: 'Late-Payer',
      description: 'Reminders',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'late-payer',
      description: 'Reminders',
      createdBy: 'api',
      contacts: 0,
    });
    expect((await h.api.post(`/spaces/${h.space.id}/tags`, { name: 'late-payer' })).body.errcode).toBe(
      'LC_TAG_EXISTS',
    );
    const automatic = await h.api.post(`/spaces/${h.space.id}/tags`, { name: 'campaign:x' });
    expect(automatic.status).toBe(400);
    expect(automatic.body.field).toBe('name');
    const deleted = await h.api.delete(`/spaces/${h.space.id}/tags/wholesale`);
    expect(deleted.status).toBe(204);
    expect((await h.api.delete(`/spaces/${h.space.id}/tags/wholesale`)).status).toBe(404);
    const contact = (await h.api.get(`/contacts/${contactId}`)).body;
    expect(contact.tags).toEqual(['vip']);
    expect(contact.journey.at(-1)).toMatchObject({
      type: 'untag',
      actor: 'api',
      detail: { tag: 'wholesale' },
    });
    await eventually('the card', card, (c: any) => !c.tags.includes('wholesale'));
  });
});
