import { createHmac, randomBytes } from 'node:crypto';
import type pg from 'pg';

/*
 * The two ways a message reaches Synapse in the benchmark: through the bridge (a signed simulator
 * webhook, as a carrier posts it) and straight from an appservice ghost (the baseline), plus the
 * statistics every figure is reported with.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: number[]) => percentile(values, 50);

export interface Conversation {
  /** The customer's phone number. */
  address: string;
  ghost: string;
  roomId: string;
}

/** A ghost's message straight to Synapse: what the bridge itself does after its own work. */
export async function ghostSend(
  hsUrl: string,
  asToken: string,
  ghost: string,
  roomId: string,
  body: string,
): Promise<void> {
  const txn = `bench-${randomBytes(8).toString('hex')}`;
  const res = await fetch(
    `${hsUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}?user_id=${encodeURIComponent(ghost)}`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${asToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ msgtype: 'm.text', body }),
    },
  );
  if (!res.ok) throw new Error(`baseline send: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

/** A user's message (an agent) through the client-server API; returns the event ID. */
export async function userSend(hsUrl: string, token: string, roomId: string, body: string): Promise<string> {
  const txn = `bench-${randomBytes(8).toString('hex')}`;
  const res = await fetch(
    `${hsUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ msgtype: 'm.text', body }),
    },
  );
  if (!res.ok) throw new Error(`agent send: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { event_id: string }).event_id;
}

export async function joinRoom(hsUrl: string, token: string, roomId: string): Promise<void> {
  const res = await fetch(`${hsUrl}/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (!res.ok) throw new Error(`join ${roomId}: ${res.status} ${await res.text()}`);
}

export interface WebhookTarget {
  publicUrl: string;
  senderId: string;
  secret: string;
}

/** One customer message as the simulator carrier posts it; resolves with the HTTP status. */
export async function postWebhook(
  target: WebhookTarget,
  message: { id: string; from: string; text: string },
  timeoutMs = 15_000,
): Promise<number> {
  const body = JSON.stringify({ messages: [{ ...message, timestamp: Date.now() }] });
  const res = await fetch(`${target.publicUrl}/webhooks/simulator/${target.senderId}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-simulator-signature': `sha256=${createHmac('sha256', target.secret).update(body).digest('hex')}`,
    },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Posts until the bridge answers 2xx, as carriers retry. */
export async function postWebhookUntilAccepted(
  target: WebhookTarget,
  message: { id: string; from: string; text: string },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if ((await postWebhook(target, message)) < 300) return;
    } catch {
      // Refused or timed out: retry.
    }
    if (attempt > 200) throw new Error(`webhook ${message.id} never accepted`);
    await sleep(Math.min(1000, 50 * attempt));
  }
}

/** Runs `worker` over `items` with at most `concurrency` at a time. */
export async function pool<T>(
  items: T[],
  concurrency: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await worker(items[next++]!);
    }),
  );
}

/** Calls `fire(i)` at `rate` per second (open loop: a slow answer does not delay the next call). */
export async function openLoop(rate: number, count: number, fire: (i: number, at: number) => Promise<void>) {
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const at = started + (i * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(fire(i, at));
  }
  await Promise.all(pending);
}

/** Waits until every inbox row with these provider IDs is posted; returns their handled_at (epoch ms). */
export async function waitPosted(
  db: pg.Pool,
  ids: string[],
  timeoutMs: number,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ id: string; at: string; state: string }>(
      `SELECT provider_message_id AS id, state, (extract(epoch FROM handled_at) * 1000)::text AS at
       FROM inbox WHERE provider_message_id = ANY($1)`,
      [ids],
    );
    const done = rows.filter((r) => r.state !== 'pending');
    if (done.length === ids.length) {
      const failed = done.filter((r) => r.state !== 'done');
      if (failed.length > 0) throw new Error(`${failed.length} inbox rows failed`);
      return new Map(done.map((r) => [r.id, Number(r.at)]));
    }
    if (Date.now() > deadline)
      throw new Error(`only ${done.length} of ${ids.length} messages posted within ${timeoutMs} ms`);
    await sleep(100);
  }
}
