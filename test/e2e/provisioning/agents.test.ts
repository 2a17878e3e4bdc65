import type { MatrixClient } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitForInvite, waitForMembership, type TestEnv } from '../../harness/env.ts';
import type { RegisteredUser } from '../../harness/synapse.ts';
import { startSmtpCapture, type SmtpCapture } from '../../harness/smtp.ts';
import { apiClient, simulatorCredentials, UNKNOWN_ID, type ApiClient } from './client.ts';
import { linkIn, openForm, postForm, sentTo } from './links.ts';

/*
 * Agents, conversations and contacts, and one space's ids under another's path. This bridge has
 * no registration shared secret, so people join with the Matrix IDs they already have.
 */

interface Seated {
  user: RegisteredUser;
  client: MatrixClient;
  agentId: string;
}

describe('provisioning API: agents, conversations, contacts', () => {
  let env: TestEnv;
  let api: ApiClient;
  let smtp: SmtpCapture;
  let s1: { id: string; name: string; matrix: { spaceRoomId: string; controlRoomId: string } };
  let s2: { id: string };
  let xena: Seated;
  let yuri: Seated;

  async function seat(space: typeof s1, name: string, role: 'agent' | 'admin'): Promise<Seated> {
    const user = await env.createUser();
    const client = await env.login(user);
    const email = `${user.localpart}@example.net`;
    await api.post(`/spaces/${space.id}/invitations`, { invitations: [{ name, email, role }] });
    const { link } = linkIn(await smtp.waitForEmail(sentTo(email)));
    const form = await openForm(link);
    const done = await postForm(link, form, { action: 'link', email, userId: user.userId });
    expect(done.status).toBe(200);
    for (const roomId of role === 'admin'
      ? [space.matrix.spaceRoomId, space.matrix.controlRoomId]
      : [space.matrix.spaceRoomId]) {
      await waitForInvite(client, { roomId });
      await client.joinRoom(roomId);
    }
    const agents = (await api.get(`/spaces/${space.id}/agents`)).body.agents as {
      id: string;
      userId: string;
    }[];
    return { user, client, agentId: agents.find((a) => a.userId === user.userId)!.id };
  }

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    env = await createTestEnv({
      configure: (input) => ({
        ...input,
        smtp: { host: smtp.host, port: smtp.port, from: 'livechat@example.net' },
      }),
    });
    api = apiClient(env);
    s1 = (await api.post('/spaces', { name: 'Sales', seats: 4 })).body;
    s2 = (await api.post('/spaces', { name: 'Service', seats: 1 })).body;
    xena = await seat(s1, 'Xena', 'admin');
    yuri = await seat(s1, 'Yuri', 'agent');
  });
  afterAll(async () => {
    await env?.stop();
    await smtp?.stop();
  });

  it('offers only existing Matrix IDs when no registration secret is configured', async () => {
    const email = 'newcomer@example.net';
    await api.post(`/spaces/${s2.id}/invitations`, { invitations: [{ name: 'New', email, role: 'agent' }] });
    const { link } = linkIn(await smtp.waitForEmail(sentTo(email)));
    const form = await openForm(link);
    expect(form.html).toContain('New accounts cannot be created on this page');
    expect(form.html).not.toContain('Create my account');
    const refused = await postForm(link, form, {
      action: 'create',
      email,
      password: 'x'.repeat(12),
      confirm: 'x'.repeat(12),
    });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('New accounts cannot be created here');
    expect((await api.get(`/spaces/${s2.id}/seats`)).body).toMatchObject({ used: 0, pending: 1 });
  });

  it('lists agents with role, capacity, presence and open chats', async () => {
    const { body } = await api.get(`/spaces/${s1.id}/agents`);
    expect(body.agents).toEqual([
      {
        id: xena.agentId,
        spaceId: s1.id,
        userId: xena.user.userId,
        name: 'Xena',
        email: `${xena.user.localpart}@example.net`,
        role: 'admin',
        maxChats: 5,
        online: false,
        openChats: 0,
        createdAt: expect.any(String),
      },
      expect.objectContaining({ id: yuri.agentId, role: 'agent' }),
    ]);
    expect((await api.get(`/spaces/${s1.id}/agents/${yuri.agentId}`)).body.userId).toBe(yuri.user.userId);
  });

  it('changes roles (power levels and the control room follow) and capacity', async () => {
    const promoted = await api.patch(`/spaces/${s1.id}/agents/${yuri.agentId}`, {
      role: 'admin',
      maxChats: 3,
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ role: 'admin', maxChats: 3 });
    await waitForInvite(yuri.client, { roomId: s1.matrix.controlRoomId });
    const bot = env.bridge!.context.matrix.botIntent.matrixClient;
    const levels = await bot.getRoomStateEventContent(s1.matrix.spaceRoomId, 'm.room.power_levels', '');
    expect((levels as { users: Record<string, number> }).users[yuri.user.userId]).toBe(50);

    const demoted = await api.patch(`/spaces/${s1.id}/agents/${xena.agentId}`, { role: 'agent' });
    expect(demoted.body.role).toBe('agent');
    await waitForMembership(xena.client, s1.matrix.controlRoomId, xena.user.userId, 'leave');
    const after = await bot.getRoomStateEventContent(s1.matrix.spaceRoomId, 'm.room.power_levels', '');
    expect((after as { users: Record<string, number> }).users[xena.user.userId]).toBeUndefined();

    expect(
      (await api.patch(`/spaces/${s1.id}/agents/${yuri.agentId}`, { maxChats: null })).body.maxChats,
    ).toBe(5);
    const bad = await api.patch(`/spaces/${s1.id}/agents/${yuri.agentId}`, { maxChats: 0 });
    expect(bad.body).toMatchObject({
      errcode: 'LC_BAD_REQUEST',
      error: 'maxChats: must be a whole number ≥ 1 and ≤ 1000',
    });
    expect((await api.patch(`/spaces/${s1.id}/agents/${yuri.agentId}`, { role: 'owner' })).body.error).toBe(
      'role: must be agent or admin',
    );
  });

  describe('with conversations', () => {
    const conversationIds: string[] = [];
    let contactId: string;
    let roomId: string;

    beforeAll(async () => {
      const { db, matrix } = env.bridge!.context;
      const sender = await api.post(`/spaces/${s1.id}/senders`, {
        channel: 'sms',
        address: '+14155550199',
        provider: 'simulator',
        mode: 'livechat',
        bidirectional: true,
        credentials: simulatorCredentials(),
      });
      // Conversations as the message pipeline records them: a contact, its ghost in a room with the bot.
      for (let i = 0; i < 5; i++) {
        const contact = await db.query(
          `INSERT INTO contacts (space_id, channel, address, address_kind, ghost_localpart, profile_name)
           VALUES ($1, 'sms', $2, 'e164', $3, $4) RETURNING id`,
          [s1.id, `+1415555010${i}`, `${env.config.ghosts.prefix}agtest${i}`, `Customer ${i}`],
        );
        let room: string | null = null;
        if (i === 0) {
          room = await matrix.botIntent.matrixClient.createRoom({
            name: 'Customer 0',
            invite: [xena.user.userId],
          });
          await matrix.intent(`@${env.config.ghosts.prefix}agtest0:${matrix.domain}`).join(room);
          await waitForInvite(xena.client, { roomId: room });
          await xena.client.joinRoom(room);
          roomId = room;
          contactId = contact.rows[0]!.id;
        }
        const row = await db.query(
          `INSERT INTO conversations (space_id, sender_id, contact_id, room_id, state, assigned_agent_id, created_at, archived_at)
           VALUES ($1, $2, $3, $4, $5, $6, now() - make_interval(mins => $7), $8) RETURNING id`,
          [
            s1.id,
            sender.body.id,
            contact.rows[0]!.id,
            room,
            i === 0 ? 'assigned' : 'queued',
            i === 0 ? xena.agentId : null,
            10 - i,
            i === 4 ? new Date() : null,
          ],
        );
        conversationIds.push(row.rows[0]!.id);
      }
    });

    it('counts open chats and pages through conversations, newest first', async () => {
      const agent = await api.get(`/spaces/${s1.id}/agents/${xena.agentId}`);
      expect(agent.body.openChats).toBe(1);
      const first = await api.request('GET', `/spaces/${s1.id}/conversations?limit=2`);
      expect(first.status).toBe(200);
      expect(first.body.conversations.map((c: { id: string }) => c.id)).toEqual([
        conversationIds[4],
        conversationIds[3],
      ]);
      expect(first.body.conversations[0].state).toBe('archived');
      const second = await api.request(
        'GET',
        `/spaces/${s1.id}/conversations?limit=2&before=${first.body.next}`,
      );
      expect(second.body.conversations.map((c: { id: string }) => c.id)).toEqual([
        conversationIds[2],
        conversationIds[1],
      ]);
      const last = await api.request(
        'GET',
        `/spaces/${s1.id}/conversations?limit=2&before=${second.body.next}`,
      );
      expect(last.body).toMatchObject({
        conversations: [{ id: conversationIds[0], state: 'assigned' }],
        next: null,
      });
      const queued = await api.request('GET', `/spaces/${s1.id}/conversations?state=queued`);
      expect(queued.body.conversations).toHaveLength(3);
      for (const [query, error] of [
        ['limit=0', 'limit: must be a whole number from 1 to 200'],
        ['limit=abc', 'limit: must be a whole number from 1 to 200'],
        ['state=open', 'state: must be one of bot, queued, assigned, resolved, archived'],
        ['before=nope', 'before: must be a UUID'],
        ['colour=red', 'colour: unknown field'],
      ]) {
        const res = await api.request('GET', `/spaces/${s1.id}/conversations?${query}`);
        expect(res.body, query).toMatchObject({ errcode: 'LC_BAD_REQUEST', error });
      }
      const one = await api.get(`/spaces/${s1.id}/conversations/${conversationIds[0]}`);
      expect(one.body).toMatchObject({
        id: conversationIds[0],
        roomId,
        assignedAgentId: xena.agentId,
        contact: { id: contactId, channel: 'sms', address: '+14155550100', profileName: 'Customer 0' },
      });
    });

    it('shows a contact with empty attributes, tags and journey', async () => {
      const res = await api.get(`/contacts/${contactId}`);
      expect(res.body).toEqual({
        id: contactId,
        spaceId: s1.id,
        channel: 'sms',
        address: '+14155550100',
        addressKind: 'e164',
        profileName: 'Customer 0',
        attributes: {},
        tags: [],
        journey: [],
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect((await api.get(`/contacts/${UNKNOWN_ID}`)).status).toBe(404);
    });

    it("answers 404 for one space's ids under another space's path", async () => {
      const paths = [
        ['GET', `/spaces/${s2.id}/agents/${xena.agentId}`],
        ['PATCH', `/spaces/${s2.id}/agents/${xena.agentId}`],
        ['DELETE', `/spaces/${s2.id}/agents/${xena.agentId}`],
        ['GET', `/spaces/${s2.id}/conversations/${conversationIds[0]}`],
      ];
      for (const [method, path] of paths) {
        const res = await api.request(method!, path!, method === 'PATCH' ? { maxChats: 2 } : undefined);
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body.errcode).toBe('LC_NOT_FOUND');
      }
      const cursor = await api.request('GET', `/spaces/${s2.id}/conversations?before=${conversationIds[1]}`);
      expect(cursor.body.error).toBe('before: not a conversation of this space');
      expect((await api.get(`/spaces/${s2.id}/conversations`)).body.conversations).toEqual([]);
      expect((await api.get(`/spaces/${s2.id}/agents`)).body.agents).toEqual([]);
      expect((await api.get(`/spaces/${s1.id}/agents`)).body.agents).toHaveLength(2);
    });

    it('removes an agent: seat freed, kicked with a reason, their chats back in the queue', async () => {
      const res = await api.delete(`/spaces/${s1.id}/agents/${xena.agentId}`);
      expect(res.status).toBe(204);
      await waitForMembership(xena.client, s1.matrix.spaceRoomId, xena.user.userId, 'leave');
      const kick = xena.client.getRoom(s1.matrix.spaceRoomId)!.getMember(xena.user.userId)!.events.member!;
      expect(kick.getContent().reason).toBe('Removed from Sales');
      expect((await api.get(`/spaces/${s1.id}/seats`)).body).toMatchObject({ used: 1 });
      expect((await api.get(`/spaces/${s1.id}/conversations/${conversationIds[0]}`)).body).toMatchObject({
        state: 'queued',
        assignedAgentId: null,
      });
      expect((await api.get(`/spaces/${s1.id}/agents/${xena.agentId}`)).status).toBe(404);
      // They lose the conversations they had, too.
      await waitForMembership(xena.client, roomId, xena.user.userId, 'leave');
      expect(
        xena.client.getRoom(roomId)!.getMember(xena.user.userId)!.events.member!.getContent().reason,
      ).toBe('The agent was removed from the space');
    });

    it('deletes a space with open conversations only when forced, closing them cleanly', async () => {
      const refused = await api.delete(`/spaces/${s1.id}`);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ errcode: 'LC_SPACE_NOT_EMPTY', openConversations: 4 });
      const forced = await api.request('DELETE', `/spaces/${s1.id}?force=true`);
      expect(forced.status).toBe(204);
      // The room says why it closed, and the customer and bot leave (read as the bot, who may read
      // the room up to its leaving; Xena lost the room with her seat).
      const bot = env.bridge!.context.matrix.botIntent.matrixClient;
      const history = (await bot.doRequest(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`,
        {
          dir: 'b',
          limit: 50,
        },
      )) as { chunk: { type: string; sender: string; content: { body?: string } }[] };
      expect(
        history.chunk
          .filter((e) => e.type === 'm.room.message' && e.sender === env.bridge!.botUserId)
          .map((e) => e.content.body),
      ).toContain('This conversation was closed: the space Sales was deleted.');
      const ghost = `@${env.config.ghosts.prefix}agtest0:${env.config.homeserver.domain}`;
      for (const userId of [env.bridge!.botUserId, ghost]) {
        expect((await bot.getRoomStateEventContent(roomId, 'm.room.member', userId)).membership).toBe(
          'leave',
        );
      }
      // Yuri, still seated, is removed from the space's rooms with the reason.
      await waitForMembership(yuri.client, s1.matrix.spaceRoomId, yuri.user.userId, 'leave');
      expect(
        yuri.client.getRoom(s1.matrix.spaceRoomId)!.getMember(yuri.user.userId)!.events.member!.getContent()
          .reason,
      ).toBe('The space Sales was deleted');
      expect((await api.get(`/spaces/${s1.id}`)).status).toBe(404);
      expect((await api.get(`/contacts/${contactId}`)).status).toBe(404);
      const left = await env.bridge!.context.db.query(
        'SELECT count(*)::int AS n FROM conversations WHERE space_id = $1',
        [s1.id],
      );
      expect(left.rows[0]!.n).toBe(0);
    });
  });
});
