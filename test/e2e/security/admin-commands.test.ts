import type { MatrixClient } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type RunningBridge } from '../../../bridge/start.ts';
import { createBotModule, type BotModule } from '../../../bot/index.ts';
import { defineCommand } from '../../../bot/commands/command.ts';
import { createProvisioningModule } from '../../../provisioning/index.ts';
import { createTestEnv, waitForJoin, waitForRoomEvent, type TestEnv } from '../../harness/env.ts';

/*
 * Agents never reach admin commands. Every command of the registry whose role is admin (today's and
 * any added later) is sent by an agent of the space in its control room, through a real Matrix
 * client: each gets ⛔ and changes nothing in the store. A probe command that writes when it runs
 * is added to the registry too, so the test would notice a dispatcher that let agents through.
 */

/** A fingerprint of every table but the event log (the command messages themselves land there). */
async function storeFingerprint(bridge: RunningBridge): Promise<Record<string, string>> {
  const db = bridge.context.db;
  const { rows: tables } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
       AND table_name NOT IN ('matrix_events', 'as_transactions', 'schema_versions')`,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const { rows } = await db.query<{ h: string | null }>(
      `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM "${name}" t`,
    );
    result[name] = rows[0]?.h ?? '';
  }
  return result;
}

describe('admin commands sent by an agent', () => {
  let env: TestEnv;
  let bridge: RunningBridge;
  let bot: BotModule;
  let agent: MatrixClient;
  let controlRoom: string;

  beforeAll(async () => {
    env = await createTestEnv({ startBridge: false });
    bot = createBotModule();
    bridge = await startBridge(env.config, env.registration, {
      modules: [bot, createProvisioningModule({ bot })],
      keepLogging: true,
    });
    bot.api.commands.add(
      defineCommand({
        name: 'probe-admin',
        summary: 'Writes a row: proves an admin command ran.',
        role: 'admin',
        rooms: ['control', 'conversation', 'dm', 'other'],
        args: [],
        run: async () => {
          await bridge.context.db.query(
            `INSERT INTO kv (key, value) VALUES ('probe-admin', '"ran"') ON CONFLICT (key) DO NOTHING`,
          );
          return 'ran';
        },
      }),
    );
    const base = `http://127.0.0.1:${env.config.provisioning.port}/_matrix/provision/v1`;
    const res = await fetch(`${base}/spaces`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${env.config.provisioning.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'Isolation', seats: 3 }),
    });
    const space = (await res.json()) as { id: string; matrix: { controlRoomId: string } };
    controlRoom = space.matrix.controlRoomId;
    const user = await env.createUser();
    await bridge.context.db.query(`INSERT INTO agents (space_id, user_id, role) VALUES ($1, $2, 'agent')`, [
      space.id,
      user.userId,
    ]);
    agent = await env.login(user);
    await bridge.context.matrix.botIntent.matrixClient.inviteUser(user.userId, controlRoom);
    await agent.joinRoom(controlRoom);
    await waitForJoin(agent, controlRoom, user.userId);
  });

  afterAll(async () => {
    await bridge?.stop();
    await env?.stop();
  });

  it('refuses every admin command of the registry with ⛔ and changes nothing', async () => {
    const admin = bot.api.commands.all().filter((c) => c.role === 'admin');
    expect(admin.map((c) => c.name)).toContain('probe-admin');
    const before = await storeFingerprint(bridge);
    const outcomes: Record<string, string> = {};
    for (const command of admin) {
      const sent = await agent.sendTextMessage(controlRoom, `${env.config.bot.commandPrefix}${command.name}`);
      const reaction = await waitForRoomEvent(agent, {
        roomId: controlRoom,
        type: 'm.reaction',
        predicate: (e) => e.getContent()['m.relates_to']?.event_id === sent.event_id,
      });
      outcomes[command.name] = reaction.getContent()['m.relates_to']!.key as string;
    }
    console.log(`admin commands tried by an agent: ${JSON.stringify(outcomes)}`);
    expect(Object.values(outcomes).every((key) => key === '⛔')).toBe(true);
    expect(await storeFingerprint(bridge)).toEqual(before);
  });
});
