import { randomBytes } from 'node:crypto';
import type { MatrixClient } from 'matrix-js-sdk';
import { normalizeAddress, type Channel } from '../../../bridge/addresses.ts';
import type { RunningBridge, StartOptions } from '../../../index.ts';
import { createSender, type Sender } from '../../../bridge/store/senders.ts';
import { createSpace, type Space } from '../../../bridge/store/spaces.ts';
import { FakePhone, type ReceivedMessage } from '../../fakes/phone.ts';
import { createTestEnv, waitForInvite, type TestEnv } from '../../harness/env.ts';

/*
 * A bridge with the simulator provider pointed at a fake phone, one space with one livechat-mode
 * sender (every conversation goes straight to the queue), and one agent of the space, online: each
 * new conversation is offered to them (an invitation), and joining assigns it. The phone posts its
 * webhooks to the bridge's own public listener (provisioning.port): the real router, signatures and all.
 *
 * The customer therefore gets the live-assistant messages of a handover (welcome, queued,
 * assigned) before any agent message; joinConversation waits until those left.
 */

export interface PipelineEnv {
  env: TestEnv;
  phone: FakePhone;
  agent: MatrixClient;
  agentId: string;
  space: Space;
  sender: Sender;
  publicUrl: string;
  bridge(): RunningBridge;
  /**
   * Waits for the agent's invite into the customer's conversation room, joins it, waits until the
   * conversation is assigned to them and the bot's messages to the customer left; returns the room ID.
   */
  joinConversation(timeoutMs?: number): Promise<string>;
  /** The bot's live-assistant messages the phone received (welcome, queued, assigned…). */
  botMessages(): ReceivedMessage[];
  stop(): Promise<void>;
}

export interface PipelineOptions {
  channel?: Channel;
  senderAddress?: string;
  privateHomeserver?: boolean;
  startOptions?: StartOptions;
}

/** How the default live-assistant messages begin (bot/spaces/messages.ts). */
const BOT_TEXTS = ['Hello! How can we help', 'You are being transferred', 'You are now chatting with'];

export async function createPipelineEnv(options: PipelineOptions = {}): Promise<PipelineEnv> {
  const phone = await FakePhone.start();
  let publicUrl = '';
  const agentLocalpart = `agent-${randomBytes(4).toString('hex')}`;
  let agentId = '';
  const testEnv = await createTestEnv({
    startBridge: false,
    ...(options.privateHomeserver ? { privateHomeserver: true } : {}),
    configure: (input) => {
      agentId = `@${agentLocalpart}:${input.homeserver.domain}`;
      publicUrl = `http://127.0.0.1:${input.provisioning.port}`;
      return {
        ...input,
        publicUrl,
        // Short, so that a hanging provider is given up on quickly (and retried).
        providers: { ...input.providers, timeoutSeconds: 2, simulator: { baseUrl: phone.url } },
      };
    },
  });
  phone.setWebhookBase(publicUrl);
  try {
    const agentUser = await testEnv.createUser(agentLocalpart);
    await testEnv.startBridge(options.startOptions);
    const agent = await testEnv.login(agentUser);
    const db = testEnv.bridge!.context.db;
    const space = await createSpace(db, { name: 'Orders' });
    const channel = options.channel ?? 'sms';
    const secret = randomBytes(16).toString('hex');
    const sender = await createSender(db, {
      spaceId: space.id,
      channel,
      address: normalizeAddress(options.senderAddress ?? '+14155550199', channel),
      provider: 'simulator',
      credentials: { secret },
    });
    await db.query(`UPDATE senders SET mode = 'livechat' WHERE id = $1`, [sender.id]);
    await db.query(`INSERT INTO agents (space_id, user_id, role, online) VALUES ($1, $2, 'agent', true)`, [
      space.id,
      agentId,
    ]);
    phone.addSender(sender.id, secret);
    const joined = new Set<string>();
    return {
      env: testEnv,
      phone,
      agent,
      agentId,
      space,
      sender,
      publicUrl,
      bridge: () => {
        if (!testEnv.bridge) throw new Error('the bridge is not running');
        return testEnv.bridge;
      },
      async joinConversation(timeoutMs = 30_000) {
        const roomId = await waitForInvite(agent, {
          from: testEnv.bridge!.botUserId,
          timeoutMs,
        });
        if (!joined.has(roomId)) {
          await agent.joinRoom(roomId);
          joined.add(roomId);
        }
        const settled = async () => {
          const [row] = (
            await testEnv.bridge!.context.db.query<{ state: string; effects: number; outbox: number }>(
              `SELECT c.state,
                 (SELECT count(*) FROM bot_effects e WHERE e.conversation_id = c.id AND e.state = 'pending')::int AS effects,
                 (SELECT count(*) FROM outbox o WHERE o.conversation_id = c.id AND o.state = 'pending')::int AS outbox
               FROM conversations c WHERE c.room_id = $1`,
              [roomId],
            )
          ).rows;
          return row?.state === 'assigned' && row.effects === 0 && row.outbox === 0;
        };
        const deadline = Date.now() + timeoutMs;
        while (!(await settled())) {
          if (Date.now() > deadline) throw new Error(`${roomId} was not assigned to ${agentId} in time`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return roomId;
      },
      botMessages: () => phone.messages.filter((m) => BOT_TEXTS.some((t) => m.text?.startsWith(t))),
      async stop() {
        await testEnv.stop();
        await phone.stop();
      },
    };
  } catch (err) {
    await testEnv.stop();
    await phone.stop();
    throw err;
  }
}

/** Rows of a table, for assertions on what the store holds. */
export async function rows<T extends Record<string, unknown>>(
  p: PipelineEnv,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  return (await p.bridge().context.db.query<T>(sql, values)).rows;
}
