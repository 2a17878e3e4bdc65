import { randomBytes } from 'node:crypto';
import type { MatrixClient } from 'matrix-js-sdk';
import { normalizeAddress, type Channel } from '../../../bridge/addresses.ts';
import type { RunningBridge, StartOptions } from '../../../index.ts';
import { createSender, type Sender } from '../../../bridge/store/senders.ts';
import { createSpace, type Space } from '../../../bridge/store/spaces.ts';
import { FakePhone } from '../../fakes/phone.ts';
import { createTestEnv, waitForInvite, type TestEnv } from '../../harness/env.ts';

/*
 * A bridge with the simulator provider pointed at a fake phone, one space with one sender, and an
 * agent invited into every conversation room (bridge.inviteAgents). The phone posts its webhooks to
 * the bridge's own public listener (provisioning.port): the real router, signatures and all.
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
  /** Waits for the agent's invite into the customer's conversation room, joins it, returns its ID. */
  joinConversation(timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  channel?: Channel;
  senderAddress?: string;
  privateHomeserver?: boolean;
  startOptions?: StartOptions;
}

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
        bridge: { inviteAgents: [agentId] },
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
        return roomId;
      },
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
