import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { pool, postWebhookUntilAccepted, sleep, type WebhookTarget } from '../../bench/load.ts';
import { startStack, type Stack, type StackOptions } from '../harness/stack.ts';

/*
 * What every fault test shares: a stack of its own (Synapse on SQLite, so restarting the bridge's
 * Postgres leaves the homeserver alone), a sender, conversations with the agent joined, and the
 * traffic of customers and agents. What arrived is counted in tally.ts.
 */

export interface FaultEnv {
  stack: Stack;
  /** Stops everything; removes the data and logs when `passed` (kept for a failure, and printed). */
  dispose(passed: boolean): Promise<void>;
  target: WebhookTarget;
  rooms: { address: string; roomId: string; ghost: string }[];
}

/**
 * The fault environment of the enclosing describe block: started before its tests and stopped after
 * them, its data and logs kept when one of them failed. The function returns it inside the tests.
 */
export function useFaultEnv(
  name: string,
  conversations: number,
  options: Partial<StackOptions> = {},
): () => FaultEnv {
  let env: FaultEnv | undefined;
  let failed = false;
  beforeAll(async () => {
    env = await faultEnv(name, conversations, options);
  });
  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await env?.dispose(!failed);
  });
  return () => {
    if (!env) throw new Error(`the ${name} fault environment did not start`);
    return env;
  };
}

async function faultEnv(name: string, conversations: number, options: Partial<StackOptions>) {
  const dir = await mkdtemp(join(tmpdir(), `livechat-faults-${name}-`));
  const stack = await startStack({
    dir,
    synapseDatabase: 'sqlite',
    configure: (input) => ({ ...input, providers: { ...input.providers, timeoutSeconds: 2 } }),
    ...options,
  });
  await stack.bridge.start();
  const sender = await stack.createSender(`Faults ${name}`, '+14155550100');
  const target = { publicUrl: stack.config.publicUrl, ...sender };
  const addresses = Array.from(
    { length: conversations },
    (_, i) => `+1415${String(2000 + i).padStart(7, '0')}`,
  );
  await pool(addresses, 8, (address) =>
    postWebhookUntilAccepted(target, { id: `open-${address}`, from: address, text: `open ${address}` }),
  );
  await waitFor(
    async () => (await count(stack, `SELECT count(*) FROM conversations WHERE room_ready`)) === conversations,
    120_000,
    'conversation rooms',
  );
  const { rows } = await stack.db.query<{ address: string; room_id: string; ghost: string }>(
    `SELECT ct.address, cv.room_id, ct.ghost_localpart AS ghost FROM conversations cv
     JOIN contacts ct ON ct.id = cv.contact_id ORDER BY ct.address`,
  );
  const rooms = rows.map((r) => ({ address: r.address, roomId: r.room_id, ghost: `@${r.ghost}:localhost` }));
  for (const room of rooms) await stack.addAgent(room.roomId);
  const dispose = async (passed: boolean) => {
    await stack.stop();
    if (passed && process.env.LIVECHAT_KEEP_TEST_DIR !== '1') await rm(dir, { recursive: true, force: true });
    else console.log(`[faults] logs and data kept in ${dir}`);
  };
  return { stack, target, rooms, dispose } satisfies FaultEnv;
}

export type Room = FaultEnv['rooms'][number];

export async function count(stack: Stack, sql: string, values: unknown[] = []): Promise<number> {
  const { rows } = await stack.db.query<{ count: string }>(sql, values);
  return Number(rows[0]?.count ?? 0);
}

export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      if (await check()) return Date.now() - started;
    } catch (err) {
      if (err instanceof BridgeExited) throw err;
      // Otherwise the database may be restarting.
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** The bridge process ended on its own: waiting for its queues to drain is pointless. */
export class BridgeExited extends Error {}

/** Nothing left to do in any queue. */
export async function drained(stack: Stack): Promise<boolean> {
  if (!stack.bridge.running) throw new BridgeExited('the bridge process exited (see bridge.log)');
  const pending = await count(
    stack,
    `SELECT (SELECT count(*) FROM inbox WHERE state = 'pending') + (SELECT count(*) FROM outbox WHERE state = 'pending')
          + (SELECT count(*) FROM matrix_events WHERE state = 'pending') AS count`,
  );
  return pending === 0;
}

/**
 * An agent's message, sent until Synapse takes it. The transaction ID is derived from the body:
 * a retry after a lost answer returns the same event instead of a second one.
 */
export async function agentSend(stack: Stack, roomId: string, body: string): Promise<string> {
  const txn = createHash('sha256').update(body).digest('hex').slice(0, 24);
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(
        `${stack.synapse.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${stack.agent.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ msgtype: 'm.text', body }),
          signal: AbortSignal.timeout(10_000),
        },
      );
      if (res.ok) return ((await res.json()) as { event_id: string }).event_id;
    } catch {
      // Synapse restarting: try again.
    }
    if (attempt > 600) throw new Error(`the agent could not send "${body}"`);
    await sleep(500);
  }
}

/** `count` items spread over the rooms in turn. */
export function roundRobin<T>(rooms: Room[], count: number, make: (room: Room, i: number) => T): T[] {
  return Array.from({ length: count }, (_, i) => make(rooms[i % rooms.length]!, i));
}

/** One agent per room, each sending its messages in order (pausing `pauseMs` after each). */
export async function agentsSend(
  env: FaultEnv,
  outbound: { room: Room; text: string }[],
  pauseMs = 0,
): Promise<void> {
  await Promise.all(
    env.rooms.map(async (room) => {
      for (const o of outbound.filter((x) => x.room === room)) {
        await agentSend(env.stack, room.roomId, o.text);
        if (pauseMs > 0) await sleep(pauseMs);
      }
    }),
  );
}
