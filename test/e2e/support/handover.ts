/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies: the assertions check their shape */
import { randomBytes } from 'node:crypto';
import type { MatrixClient } from 'matrix-js-sdk';
import { expect } from 'vitest';
import type { Clock } from '../../../bridge/context.ts';
import type { RunningBridge } from '../../../index.ts';
import { FakePhone, type InboundSpec, type ReceivedMessage } from '../../fakes/phone.ts';
import { createTestEnv, waitForInvite, type TestEnv } from '../../harness/env.ts';
import { startSmtpCapture, type SmtpCapture } from '../../harness/smtp.ts';
import { apiClient, type ApiClient } from '../provisioning/client.ts';
import { linkIn, openForm, postForm, sentTo } from '../provisioning/links.ts';
import { openDm, runCommand } from './commands.ts';

/*
 * A whole live-chat set-up, built the way a business builds it: a space and senders through the
 * provisioning API (simulator provider, a fake phone behind it), agents seated through emailed
 * invitations accepted on the invitation page, agents as matrix-js-sdk clients who go online by
 * talking to the bot. The bridge runs on a clock the test moves, so timeouts need no sleeping.
 */

/** Real time plus an offset the test moves forward. */
export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

export interface Agent {
  name: string;
  userId: string;
  agentId: string;
  client: MatrixClient;
  /** The DM room with the bot. */
  dm: string;
  /** Sends a command and waits for the bot's ✅/⛔ and its reply. */
  command(roomId: string, line: string): Promise<{ ok: boolean; reply: string }>;
  online(): Promise<void>;
  offline(): Promise<void>;
  /** Waits for an invitation into a conversation room (from the bot), optionally a given one. */
  invited(roomId?: string, timeoutMs?: number): Promise<string>;
}

export interface Customer {
  address: string;
  say(text: string): Promise<void>;
  tap(id: string, title: string): Promise<void>;
  /** The next message the phone receives for this customer that matches (each is taken once). */
  next(
    match?: string | RegExp | ((m: ReceivedMessage) => boolean),
    timeoutMs?: number,
  ): Promise<ReceivedMessage>;
  /** The customer's open conversation (or the latest one). */
  conversation(): Promise<{
    id: string;
    room_id: string;
    state: string;
    contact_id: string;
    assigned: string | null;
  }>;
}

export interface HandoverEnv {
  env: TestEnv;
  api: ApiClient;
  phone: FakePhone;
  smtp: SmtpCapture;
  clock: TestClock;
  space: { id: string; name: string; matrix: { spaceRoomId: string; controlRoomId: string } };
  bridge(): RunningBridge;
  addSender(options: {
    address: string;
    channel?: 'sms' | 'whatsapp';
    mode?: 'chatbot' | 'livechat';
  }): Promise<string>;
  seat(name: string, role?: 'agent' | 'admin'): Promise<Agent>;
  customer(senderId: string, address: string, profileName?: string): Customer;
  /** The membership of a user in a room, as the homeserver has it, with its reason. */
  member(roomId: string, userId: string): Promise<{ membership?: string; reason?: string }>;
  /** Runs one sweep at the clock's time and waits until the bot's effects and messages left. */
  sweep(): Promise<void>;
  /** Waits until no bot effect and no message to customers is pending. */
  settle(): Promise<void>;
  query<T extends Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

function matcher(match: string | RegExp | ((m: ReceivedMessage) => boolean) | undefined) {
  if (match === undefined) return () => true;
  if (typeof match === 'function') return match;
  const text = (m: ReceivedMessage) => m.text ?? (m.interactive as { body?: string } | undefined)?.body ?? '';
  return typeof match === 'string'
    ? (m: ReceivedMessage) => text(m) === match
    : (m: ReceivedMessage) => match.test(text(m));
}

export async function createHandoverEnv(
  options: { space?: Record<string, unknown>; configure?: (input: any) => any } = {},
): Promise<HandoverEnv> {
  const phone = await FakePhone.start();
  const smtp = await startSmtpCapture();
  const clock = new TestClock();
  let publicUrl = '';
  const env = await createTestEnv({
    startBridge: false,
    configure: (input) => {
      publicUrl = `http://127.0.0.1:${input.provisioning.port}`;
      const configured = {
        ...input,
        publicUrl,
        providers: { ...input.providers, timeoutSeconds: 5, simulator: { baseUrl: phone.url } },
        smtp: { host: smtp.host, port: smtp.port, from: 'Live chat <livechat@example.net>' },
      };
      return options.configure ? options.configure(configured) : configured;
    },
  });
  phone.setWebhookBase(publicUrl);
  const stop = async () => {
    await env.stop();
    await phone.stop();
    await smtp.stop();
  };
  try {
    await env.startBridge({ clock });
    const api = apiClient(env);
    const created = await api.post('/spaces', { name: 'Orders', seats: 20, ...options.space });
    expect(created.status).toBe(201);
    const space = created.body;
    const bridge = () => env.bridge!;
    const query = async <T extends Record<string, unknown>>(sql: string, values: unknown[] = []) =>
      (await bridge().context.db.query<T>(sql, values)).rows;
    const settle = async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await query<{ n: number }>(
          `SELECT ((SELECT count(*) FROM bot_effects WHERE state = 'pending')
                 + (SELECT count(*) FROM outbox WHERE state = 'pending')
                 + (SELECT count(*) FROM inbox WHERE state = 'pending')
                 + (SELECT count(*) FROM matrix_events WHERE state = 'pending'))::int AS n`,
        );
        if (row!.n === 0) return;
        if (Date.now() > deadline)
          throw new Error(`${row!.n} pieces of work still pending after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    const seat = async (name: string, role: 'agent' | 'admin' = 'agent'): Promise<Agent> => {
      const user = await env.createUser(`${name.toLowerCase()}-${randomBytes(3).toString('hex')}`);
      const client = await env.login(user);
      const email = `${user.localpart}@example.net`;
      const invited = await api.post(`/spaces/${space.id}/invitations`, {
        invitations: [{ name, email, role }],
      });
      expect(invited.status).toBe(201);
      const { link } = linkIn(await smtp.waitForEmail(sentTo(email)));
      const form = await openForm(link);
      const done = await postForm(link, form, { action: 'link', email, userId: user.userId });
      expect(done.status).toBe(200);
      await waitForInvite(client, { roomId: space.matrix.spaceRoomId });
      await client.joinRoom(space.matrix.spaceRoomId);
      const agents = (await api.get(`/spaces/${space.id}/agents`)).body.agents as {
        id: string;
        userId: string;
      }[];
      const agentId = agents.find((a) => a.userId === user.userId)!.id;
      const botUserId = bridge().botUserId;
      const dm = await openDm(client, botUserId);
      const command = (roomId: string, line: string) => runCommand(client, botUserId, roomId, line);
      return {
        name,
        userId: user.userId,
        agentId,
        client,
        dm,
        command,
        online: async () => {
          const answer = await command(dm, '!online');
          expect(answer).toMatchObject({
            ok: true,
            reply: expect.stringContaining('You are online in Orders'),
          });
          await settle();
        },
        offline: async () => {
          const answer = await command(dm, '!offline');
          expect(answer).toMatchObject({
            ok: true,
            reply: expect.stringContaining('You are offline in Orders'),
          });
          await settle();
        },
        invited: (roomId, timeoutMs) =>
          waitForInvite(client, {
            from: botUserId,
            ...(roomId ? { roomId } : {}),
            ...(timeoutMs ? { timeoutMs } : {}),
          }),
      };
    };

    const taken = new Set<ReceivedMessage>();
    const customer = (senderId: string, address: string, profileName?: string): Customer => {
      const send = (spec: Omit<InboundSpec, 'from'>) =>
        phone
          .sendMessage(senderId, { from: address, ...(profileName ? { profileName } : {}), ...spec })
          .then(() => undefined);
      return {
        address,
        say: (text) => send({ text }),
        tap: (id, title) => send({ reply: { id, title } }),
        async next(match, timeoutMs = 20_000) {
          const test = matcher(match);
          const pick = (m: ReceivedMessage) => m.to === address && !taken.has(m) && test(m);
          const [found] = await phone.waitForMessages(1, pick, timeoutMs);
          taken.add(found!);
          return found!;
        },
        async conversation() {
          // The inbox worker opens the conversation shortly after the webhook was acknowledged.
          const deadline = Date.now() + 20_000;
          for (;;) {
            const [row] = await query<any>(
              `SELECT c.id, c.room_id, c.state, c.contact_id, a.user_id AS assigned
               FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
               LEFT JOIN agents a ON a.id = c.assigned_agent_id
               WHERE c.sender_id = $1 AND ct.address = $2 AND c.room_ready
               ORDER BY c.archived_at IS NULL DESC, c.created_at DESC LIMIT 1`,
              [senderId, address],
            );
            if (row) return row;
            if (Date.now() > deadline) throw new Error(`no conversation for ${address} after 20 s`);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        },
      };
    };

    return {
      env,
      api,
      phone,
      smtp,
      clock,
      space,
      bridge,
      async addSender({ address, channel = 'whatsapp', mode = 'chatbot' }) {
        const secret = randomBytes(16).toString('hex');
        const res = await api.post(`/spaces/${space.id}/senders`, {
          channel,
          address,
          provider: 'simulator',
          mode,
          bidirectional: true,
          credentials: { secret },
        });
        expect(res.status).toBe(201);
        phone.addSender(res.body.id, secret);
        return res.body.id as string;
      },
      seat,
      customer,
      async member(roomId, userId) {
        try {
          return (await bridge().context.matrix.botIntent.matrixClient.getRoomStateEventContent(
            roomId,
            'm.room.member',
            userId,
          )) as { membership?: string; reason?: string };
        } catch {
          return {};
        }
      },
      async sweep() {
        await bridge().bot.runSweeps();
        await settle();
      },
      settle,
      query,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
