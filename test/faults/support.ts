import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pool, postWebhookUntilAccepted, sleep, type WebhookTarget } from '../../bench/load.ts';
import { startStack, type Stack, type StackOptions } from '../harness/stack.ts';

/*
 * What every fault test shares: a stack of its own (Synapse on SQLite, so restarting the bridge's
 * Postgres leaves the homeserver alone), a sender, conversations with the agent joined, and the
 * counting that decides lost and duplicated messages from what Synapse and the phone hold.
 */

export interface FaultEnv {
  stack: Stack;
  /** Stops everything; removes the data and logs when `passed` (kept for a failure, and printed). */
  dispose(passed: boolean): Promise<void>;
  target: WebhookTarget;
  rooms: { address: string; roomId: string; ghost: string }[];
}

export async function faultEnv(name: string, conversations: number, options: Partial<StackOptions> = {}) {
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
    } catch {
      // The database may be restarting.
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** Nothing left to do in any queue. */
export async function drained(stack: Stack): Promise<boolean> {
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

/** Every m.room.message body in a room by sender, read from Synapse (all pages). */
export async function roomMessages(
  stack: Stack,
  roomId: string,
): Promise<{ sender: string; body: string }[]> {
  const out: { sender: string; body: string }[] = [];
  let from: string | undefined;
  for (let page = 0; page < 200; page++) {
    const url = new URL(
      `${stack.synapse.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`,
    );
    url.searchParams.set('dir', 'b');
    url.searchParams.set('limit', '1000');
    if (from) url.searchParams.set('from', from);
    const res = await fetch(url, { headers: { authorization: `Bearer ${stack.agent.accessToken}` } });
    if (!res.ok) throw new Error(`messages of ${roomId}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as {
      chunk: { type: string; sender: string; content: { body?: string } }[];
      end?: string;
    };
    for (const e of body.chunk)
      if (e.type === 'm.room.message' && typeof e.content.body === 'string')
        out.push({ sender: e.sender, body: e.content.body });
    if (!body.end || body.chunk.length === 0) break;
    from = body.end;
  }
  return out;
}

export interface Tally {
  direction: string;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
}

/** Compares what was sent with what arrived, by unique body. */
export function tally(direction: string, sent: string[], arrived: string[]): Tally {
  const seen = new Map<string, number>();
  for (const body of arrived) seen.set(body, (seen.get(body) ?? 0) + 1);
  const expected = new Set(sent);
  return {
    direction,
    sent: sent.length,
    delivered: [...expected].filter((b) => seen.has(b)).length,
    lost: [...expected].filter((b) => !seen.has(b)).length,
    duplicated: [...seen].filter(([b, n]) => expected.has(b) && n > 1).reduce((sum, [, n]) => sum + n - 1, 0),
  };
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  const headers = Object.keys(rows[0] ?? {});
  const lines = [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${headers.map((h) => String(r[h])).join(' | ')} |`),
  ];
  console.log(`\n${title}\n${lines.join('\n')}\n`);
}
