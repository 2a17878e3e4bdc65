import type { MatrixClient } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../harness/env.ts';
import { apiClient, UNKNOWN_ID, type ApiClient } from './client.ts';

describe('provisioning API: spaces and seats', () => {
  let env: TestEnv;
  let api: ApiClient;
  let admin: MatrixClient;

  beforeAll(async () => {
    env = await createTestEnv();
    api = apiClient(env);
    // A homeserver user who looks at the rooms the bot made (as a server admin would).
    admin = await env.login(await env.createUser());
  });
  afterAll(async () => env?.stop());

  it('creates a space with its Matrix space and control room', async () => {
    const res = await api.post('/spaces', { name: 'Orders', seats: 10 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Orders',
      seats: { limit: 10, used: 0, pending: 0, available: 10 },
      livechat: { enabled: true },
      routing: { policy: 'broadcast', offerTimeoutSeconds: 60 },
    });
    expect(res.body.messages.welcome).toEqual(expect.any(String));
    const { spaceRoomId, controlRoomId } = res.body.matrix;
    expect(spaceRoomId).toMatch(/^!/);
    expect(controlRoomId).toMatch(/^!/);

    // The rooms, as the homeserver has them (read through the bot's own client).
    const bot = env.bridge!.context.matrix.botIntent.matrixClient;
    const create = await bot.getRoomStateEventBody(spaceRoomId, 'm.room.create', '');
    expect(create.content.type).toBe('m.space');
    expect(create.sender).toBe(env.bridge!.botUserId);
    expect((await bot.getRoomStateEventContent(controlRoomId, 'm.room.name', '')).name).toBe(
      'Orders — control',
    );
    expect(await bot.getRoomStateEventContent(spaceRoomId, 'm.space.child', controlRoomId)).toMatchObject({
      via: [env.config.homeserver.domain],
    });
    const levels = await bot.getRoomStateEventContent(spaceRoomId, 'm.room.power_levels', '');
    expect(levels.invite).toBe(100);
    // Nobody but the bot can join: the rooms are invite-only.
    await expect(admin.joinRoom(spaceRoomId)).rejects.toThrow(/not invited|forbidden/i);

    const got = await api.get(`/spaces/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
    const list = await api.get('/spaces');
    expect(list.body.spaces.map((s: { id: string }) => s.id)).toContain(res.body.id);
  });

  it('updates name, seats, live chat, routing and messages', async () => {
    const { body: space } = await api.post('/spaces', { name: 'Returns', seats: 2 });
    const res = await api.patch(`/spaces/${space.id}`, {
      name: 'Returns EU',
      seats: 5,
      livechat: { enabled: false },
      routing: { policy: 'round-robin', offerTimeoutSeconds: 30 },
      messages: { welcome: 'Hi from Returns', offline: 'We are closed' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'Returns EU',
      seats: { limit: 5, available: 5 },
      livechat: { enabled: false },
      routing: { policy: 'round-robin', offerTimeoutSeconds: 30 },
      messages: { welcome: 'Hi from Returns', offline: 'We are closed' },
    });
    const bot = env.bridge!.context.matrix.botIntent.matrixClient;
    expect((await bot.getRoomStateEventContent(space.matrix.spaceRoomId, 'm.room.name', '')).name).toBe(
      'Returns EU',
    );
    expect((await bot.getRoomStateEventContent(space.matrix.controlRoomId, 'm.room.name', '')).name).toBe(
      'Returns EU — control',
    );
    // null restores a default; other keys stay.
    const reset = await api.patch(`/spaces/${space.id}`, { messages: { welcome: null } });
    expect(reset.body.messages.welcome).toBe(space.messages.welcome);
    expect(reset.body.messages.offline).toBe('We are closed');
    expect((await api.get(`/spaces/${space.id}/seats`)).body).toEqual({
      limit: 5,
      used: 0,
      pending: 0,
      available: 5,
    });
  });

  it('validates every field and names it', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'X', seats: -1 }, 'seats: must be a whole number ≥ 0 and ≤ 100000'],
      [{ name: 'X', seats: 1.5 }, 'seats: must be a whole number ≥ 0 and ≤ 100000'],
      [{ name: 'X', seats: '3' }, 'seats: must be a whole number ≥ 0 and ≤ 100000'],
      [{ seats: 3 }, 'name: required'],
      [{ name: '  ', seats: 3 }, 'name: must not be empty'],
      [{ name: 'X', seats: 3, colour: 'red' }, 'colour: unknown field'],
      [
        { name: 'X', seats: 3, routing: { policy: 'random' } },
        'routing.policy: must be broadcast, round-robin or least-busy',
      ],
      [
        { name: 'X', seats: 3, messages: { welcome: '' } },
        'messages.welcome: must not be empty (use null to go back to the default)',
      ],
      [[1, 2], 'body: must be an object'],
    ];
    for (const [body, error] of cases) {
      const res = await api.post('/spaces', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode).toBe('LC_BAD_REQUEST');
      expect(res.body.error).toBe(error);
    }
    expect((await api.get('/spaces/not-a-uuid')).body).toMatchObject({
      errcode: 'LC_BAD_REQUEST',
      error: 'id: must be a UUID',
    });
    const before = (await api.get('/spaces')).body.spaces.length;
    expect(before).toBe(2);
  });

  it('answers bad requests with stable errcodes', async () => {
    expect((await api.get(`/spaces/${UNKNOWN_ID}`)).body.errcode).toBe('LC_NOT_FOUND');
    expect((await api.get(`/spaces/${UNKNOWN_ID}`)).status).toBe(404);
    expect((await api.request('GET', '/spaces', undefined, { token: null })).status).toBe(401);
    const wrong = await api.request('GET', '/spaces', undefined, { token: 'x'.repeat(32) });
    expect(wrong.status).toBe(403);
    expect(wrong.body.errcode).toBe('LC_FORBIDDEN');
    const badJson = await api.request('POST', '/spaces', undefined, { raw: '{"name": "x",' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.errcode).toBe('LC_BAD_JSON');
    const form = await api.request('POST', '/spaces', undefined, {
      raw: 'name=x',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(form.body.errcode).toBe('LC_UNSUPPORTED_MEDIA');
    const huge = await api.request('POST', '/spaces', undefined, {
      raw: JSON.stringify({ name: 'x'.repeat(2_000_000), seats: 1 }),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.errcode).toBe('LC_TOO_LARGE');
    expect((await api.get('/nothing-here')).body.errcode).toBe('LC_UNRECOGNIZED');
    for (const path of ['seats', 'senders', 'invitations', 'agents', 'conversations']) {
      const res = await api.get(`/spaces/${UNKNOWN_ID}/${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body.errcode).toBe('LC_NOT_FOUND');
    }
    // This bridge has no smtp: invitations are refused rather than never sent.
    const { body: any } = await api.get('/spaces');
    const noMail = await api.post(`/spaces/${any.spaces[0].id}/invitations`, {
      invitations: [{ name: 'N', email: 'n@example.org', role: 'agent' }],
    });
    expect(noMail.status).toBe(503);
    expect(noMail.body).toMatchObject({
      errcode: 'LC_EMAIL_UNAVAILABLE',
      error: 'Invitations are sent by email: configure smtp first',
    });
    expect((await api.get(`/spaces/${any.spaces[0].id}/seats`)).body.pending).toBe(0);
    // None of these created anything.
    expect((await api.get('/spaces')).body.spaces).toHaveLength(2);
  });

  it('refuses to lower the seats below those in use and reserved', async () => {
    const { body: space } = await api.post('/spaces', { name: 'Billing', seats: 3 });
    // Two agents hold seats (rows as the invitation page writes them).
    for (const user of ['@a1:localhost', '@a2:localhost']) {
      await env.bridge!.context.db.query('INSERT INTO agents (space_id, user_id, role) VALUES ($1, $2, $3)', [
        space.id,
        user,
        'agent',
      ]);
    }
    const res = await api.patch(`/spaces/${space.id}`, { seats: 1, name: 'Billing 2' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ errcode: 'LC_SEATS_IN_USE', requested: 1, used: 2, pending: 0 });
    expect(res.body.error).toMatch(/Cannot lower the seats to 1: 2 in use/);
    // Nothing changed, not even the name sent along.
    expect((await api.get(`/spaces/${space.id}`)).body).toMatchObject({
      name: 'Billing',
      seats: { limit: 3, used: 2, available: 1 },
    });
    expect((await api.patch(`/spaces/${space.id}`, { seats: 2 })).body.seats).toEqual({
      limit: 2,
      used: 2,
      pending: 0,
      available: 0,
    });
  });

  it('serves its OpenAPI document without a token, and a status check with one', async () => {
    const res = await fetch(`${api.base}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/spaces/{id}/invitations');
    expect((await api.get('/status')).body).toEqual({
      bot: env.bridge!.botUserId,
      homeserver: env.config.homeserver.domain,
    });
  });

  it('deletes an empty space: members removed, the bot leaves its rooms', async () => {
    const { body: space } = await api.post('/spaces', { name: 'Temp', seats: 1 });
    const res = await api.delete(`/spaces/${space.id}`);
    expect(res.status).toBe(204);
    expect((await api.get(`/spaces/${space.id}`)).status).toBe(404);
    const bot = env.bridge!.context.matrix.botIntent.matrixClient;
    const joined = await bot.getJoinedRooms();
    expect(joined).not.toContain(space.matrix.spaceRoomId);
    expect(joined).not.toContain(space.matrix.controlRoomId);
    expect((await api.delete(`/spaces/${space.id}`)).status).toBe(404);
  });
});
