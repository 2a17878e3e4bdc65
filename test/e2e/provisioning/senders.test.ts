import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../harness/env.ts';
import { apiClient, simulatorCredentials, UNKNOWN_ID, type ApiClient } from './client.ts';

describe('provisioning API: senders', () => {
  let env: TestEnv;
  let api: ApiClient;
  let orders: { id: string };
  let billing: { id: string };

  beforeAll(async () => {
    env = await createTestEnv();
    api = apiClient(env);
    orders = (await api.post('/spaces', { name: 'Orders', seats: 10 })).body;
    billing = (await api.post('/spaces', { name: 'Billing', seats: 2 })).body;
  });
  afterAll(async () => env?.stop());

  const sender = (over: Record<string, unknown> = {}) => ({
    channel: 'whatsapp',
    address: '5500112233',
    provider: 'simulator',
    mode: 'livechat',
    bidirectional: true,
    credentials: simulatorCredentials(),
    ...over,
  });

  it('adds a WhatsApp sender with a normalized address and its webhook URL, never its credentials', async () => {
    const credentials = { secret: 'a-very-secret-shared-key' };
    const res = await api.post(`/spaces/${orders.id}/senders`, sender({ credentials }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      channel: 'whatsapp',
      address: '+5500112233',
      addressKind: 'e164',
      provider: 'simulator',
      mode: 'livechat',
      bidirectional: true,
      spaceId: orders.id,
      webhookUrl: `${env.config.publicUrl}/webhooks/simulator/${res.body.id}`,
    });
    expect(JSON.stringify(res.body)).not.toContain(credentials.secret);
    expect(res.body).not.toHaveProperty('credentials');
    const got = await api.get(`/spaces/${orders.id}/senders/${res.body.id}`);
    expect(got.body).toEqual(res.body);
    expect(JSON.stringify((await api.get(`/spaces/${orders.id}/senders`)).body)).not.toContain(
      credentials.secret,
    );
    // Stored for the provider's use.
    const row = await env.bridge!.context.db.query('SELECT credentials FROM senders WHERE id = $1', [
      res.body.id,
    ]);
    expect(row.rows[0]!.credentials).toEqual(credentials);
  });

  it('takes SMS short codes and longcodes', async () => {
    const short = await api.post(
      `/spaces/${orders.id}/senders`,
      sender({ channel: 'sms', address: '12345', mode: 'chatbot' }),
    );
    expect(short.status).toBe(201);
    expect(short.body).toMatchObject({ address: '12345', addressKind: 'shortcode', mode: 'chatbot' });
    const long = await api.post(
      `/spaces/${orders.id}/senders`,
      sender({ channel: 'sms', address: '+1 (415) 555-0100' }),
    );
    expect(long.body).toMatchObject({ address: '+14155550100', addressKind: 'e164' });
  });

  it('refuses a number already used, on the same channel or in another space', async () => {
    const same = await api.post(`/spaces/${billing.id}/senders`, sender({ address: '+55 0011 2233' }));
    expect(same.status).toBe(409);
    expect(same.body.errcode).toBe('LC_SENDER_EXISTS');
    const again = await api.post(`/spaces/${orders.id}/senders`, sender());
    expect(again.body.errcode).toBe('LC_SENDER_EXISTS');
    // The WhatsApp number on SMS in another space: refused. In its own space: allowed.
    const otherChannel = await api.post(`/spaces/${billing.id}/senders`, sender({ channel: 'sms' }));
    expect(otherChannel.status).toBe(409);
    expect(otherChannel.body.error).toMatch(/belongs to one space/);
    const ownSpace = await api.post(`/spaces/${orders.id}/senders`, sender({ channel: 'sms' }));
    expect(ownSpace.status).toBe(201);
    expect((await api.get(`/spaces/${billing.id}/senders`)).body.senders).toEqual([]);
  });

  it('validates provider, channel, address, credentials and bidirectional', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ provider: 'nope' }, 'provider: unknown provider "nope"; one of twilio, whatsapp-cloud, simulator'],
      [{ channel: 'fax' }, 'channel: must be sms or whatsapp'],
      [{ address: '12345' }, 'address: "12345" is a short code; WhatsApp needs a full phone number'],
      [
        { address: 'hello' },
        'address: "hello" is not a phone number in international format (E.164, e.g. +14155550100)',
      ],
      [{ credentials: { secret: 'short' } }, 'credentials.secret: must be at least 16 characters'],
      [{ credentials: {} }, 'credentials.secret: required'],
      [{ credentials: 'x' }, 'credentials: must be an object'],
      [{ mode: 'auto' }, 'mode: must be chatbot or livechat'],
    ];
    for (const [over, error] of cases) {
      const res = await api.post(
        `/spaces/${billing.id}/senders`,
        sender({ address: '+4930901820', ...over }),
      );
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(res.body).toMatchObject({ errcode: 'LC_BAD_REQUEST', error });
    }
    const oneWay = await api.post(
      `/spaces/${billing.id}/senders`,
      sender({ address: '+4930901820', bidirectional: false }),
    );
    expect(oneWay.body.error).toMatch(
      /^bidirectional: must be true: a sender carries both .* \(MO\) and the answers \(MT\)/,
    );
    const missing = await api.post(
      `/spaces/${billing.id}/senders`,
      sender({ address: '+4930901820', bidirectional: undefined }),
    );
    expect(missing.body.error).toMatch(/^bidirectional: /);
    expect((await api.get(`/spaces/${billing.id}/senders`)).body.senders).toEqual([]);
    expect((await api.post(`/spaces/${UNKNOWN_ID}/senders`, sender({ address: '+4930901820' }))).status).toBe(
      404,
    );
  });

  it('changes the mode and rotates credentials', async () => {
    const { body: created } = await api.post(
      `/spaces/${billing.id}/senders`,
      sender({ address: '+4930901821', mode: 'chatbot' }),
    );
    const rotated = { secret: 'the-new-shared-secret-value' };
    const res = await api.patch(`/spaces/${billing.id}/senders/${created.id}`, {
      mode: 'livechat',
      credentials: rotated,
    });
    expect(res.status).toBe(200);
    expect(res.body.mode).toBe('livechat');
    expect(JSON.stringify(res.body)).not.toContain(rotated.secret);
    const row = await env.bridge!.context.db.query('SELECT credentials FROM senders WHERE id = $1', [
      created.id,
    ]);
    expect(row.rows[0]!.credentials).toEqual(rotated);
    const bad = await api.patch(`/spaces/${billing.id}/senders/${created.id}`, {
      mode: 'chatbot',
      credentials: { secret: 'x' },
    });
    expect(bad.body.error).toBe('credentials.secret: must be at least 16 characters');
    // Nothing of the refused change was written.
    expect((await api.get(`/spaces/${billing.id}/senders/${created.id}`)).body.mode).toBe('livechat');
    expect(
      (await api.patch(`/spaces/${billing.id}/senders/${created.id}`, { address: '+1' })).body.error,
    ).toBe('address: unknown field');
  });

  it('deletes a sender, refusing while conversations are open unless forced', async () => {
    const { body: created } = await api.post(
      `/spaces/${billing.id}/senders`,
      sender({ address: '+4930901822' }),
    );
    const db = env.bridge!.context.db;
    // An open conversation of this sender, in a room the bot is in (as the message pipeline makes them).
    const bot = env.bridge!.context.matrix.botIntent.matrixClient;
    const roomId = await bot.createRoom({ name: 'customer' });
    const contact = await db.query(
      `INSERT INTO contacts (space_id, channel, address, address_kind, ghost_localpart) VALUES ($1, 'whatsapp', '+4915112345678', 'e164', $2) RETURNING id`,
      [billing.id, `${env.config.ghosts.prefix}deletetest`],
    );
    const conversation = await db.query(
      `INSERT INTO conversations (space_id, sender_id, contact_id, room_id, state) VALUES ($1, $2, $3, $4, 'queued') RETURNING id`,
      [billing.id, created.id, contact.rows[0]!.id, roomId],
    );
    const refused = await api.delete(`/spaces/${billing.id}/senders/${created.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ errcode: 'LC_SENDER_NOT_EMPTY', openConversations: 1 });
    expect(
      (await api.request('DELETE', `/spaces/${billing.id}/senders/${created.id}?force=maybe`)).body.error,
    ).toBe('force: must be true or false');
    const forced = await api.request('DELETE', `/spaces/${billing.id}/senders/${created.id}?force=true`);
    expect(forced.status).toBe(204);
    expect((await api.get(`/spaces/${billing.id}/senders/${created.id}`)).status).toBe(404);
    expect(await bot.getJoinedRooms()).not.toContain(roomId);
    const notice = (await bot.getRoomStateEventContent(roomId, 'm.room.member', env.bridge!.botUserId)) as {
      membership: string;
    };
    expect(notice.membership).toBe('leave');
    expect(
      (await db.query('SELECT 1 FROM conversations WHERE id = $1', [conversation.rows[0]!.id])).rowCount,
    ).toBe(0);
  });

  it('keeps senders of one space out of another space', async () => {
    const { body: list } = await api.get(`/spaces/${orders.id}/senders`);
    const id = list.senders[0].id;
    expect((await api.get(`/spaces/${billing.id}/senders/${id}`)).status).toBe(404);
    expect((await api.patch(`/spaces/${billing.id}/senders/${id}`, { mode: 'chatbot' })).status).toBe(404);
    expect((await api.delete(`/spaces/${billing.id}/senders/${id}`)).status).toBe(404);
    expect((await api.get(`/spaces/${orders.id}/senders/${id}`)).body.mode).toBe('livechat');
  });
});
