import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { MatrixClient } from 'matrix-js-sdk';
import { normalizeAddress, type Channel } from '../../../bridge/addresses.ts';
import type { RunningBridge, StartOptions } from '../../../index.ts';
import { createSender, type Sender } from '../../../bridge/store/senders.ts';
import { createSpace, type Space } from '../../../bridge/store/spaces.ts';
import { WebhookFormatError } from '../../../bridge/providers/types.ts';
import { FakePhone } from '../../fakes/phone.ts';
import { createTestEnv, waitForInvite, type TestEnv } from '../../harness/env.ts';

/*
 * A bridge with the simulator provider pointed at a fake phone, one space with one sender, and an
 * agent invited into every conversation room (bridge.inviteAgents). The public listener here
 * mounts the same webhook sequence the provisioning layer's router runs (look the sender up,
 * verify the signature, parse, accept, only then acknowledge) and the messaging service's public
 * routes (media links).
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

async function startPublicListener(current: () => RunningBridge | undefined, publicUrl: () => string) {
  const app = express();
  app.post('/webhooks/simulator/:senderId', express.raw({ type: '*/*' }), async (req, res) => {
    const bridge = current();
    if (!bridge) {
      res.status(503).json({ errcode: 'LC_UNAVAILABLE', error: 'starting' });
      return;
    }
    const { messaging, providers } = bridge.context;
    try {
      const sender = await messaging.lookupSender(String(req.params.senderId));
      if (!sender || sender.provider !== 'simulator') {
        res.status(404).json({ errcode: 'LC_NOT_FOUND', error: 'unknown sender' });
        return;
      }
      const provider = providers.get(sender.provider);
      const request = {
        method: req.method,
        url: `${publicUrl()}${req.originalUrl}`,
        headers: req.headers as Record<string, string | undefined>,
        query: req.query as Record<string, string>,
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      };
      if (!provider.verify(sender, request)) {
        res.status(401).json({ errcode: 'LC_BAD_SIGNATURE', error: 'bad signature' });
        return;
      }
      await messaging.accept(sender, provider.parse(sender, request));
      const ack = provider.acknowledge(sender, request);
      res
        .status(ack.status)
        .type(ack.contentType ?? 'text/plain')
        .send(ack.body);
    } catch (err) {
      if (err instanceof WebhookFormatError)
        res.status(400).json({ errcode: 'LC_BAD_WEBHOOK', error: err.message });
      else res.status(500).json({ errcode: 'LC_UNKNOWN', error: String(err) });
    }
  });
  app.use((req, res, next) => {
    const bridge = current();
    if (!bridge) return void res.status(503).end();
    bridge.context.messaging.publicRoutes(req, res, next);
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return server;
}

export async function createPipelineEnv(options: PipelineOptions = {}): Promise<PipelineEnv> {
  const phone = await FakePhone.start();
  // The listener starts first (its URL goes into the config), so it finds the bridge through this.
  const holder: { env?: TestEnv } = {};
  let publicUrl = '';
  const server = await startPublicListener(
    () => holder.env?.bridge,
    () => publicUrl,
  );
  publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  phone.setWebhookBase(publicUrl);
  const agentLocalpart = `agent-${randomBytes(4).toString('hex')}`;
  let agentId = '';
  const testEnv = await createTestEnv({
    startBridge: false,
    ...(options.privateHomeserver ? { privateHomeserver: true } : {}),
    configure: (input) => {
      agentId = `@${agentLocalpart}:${input.homeserver.domain}`;
      return {
        ...input,
        publicUrl,
        // Short, so that a hanging provider is given up on quickly (and retried).
        providers: { ...input.providers, timeoutSeconds: 2, simulator: { baseUrl: phone.url } },
        bridge: { inviteAgents: [agentId] },
      };
    },
  });
  holder.env = testEnv;
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
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  } catch (err) {
    await testEnv.stop();
    await phone.stop();
    server.close();
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
