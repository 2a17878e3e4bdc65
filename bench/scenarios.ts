import { randomBytes } from 'node:crypto';
import type { Stack } from '../test/harness/stack.ts';
import { processUsage } from '../test/harness/bridge-process.ts';
import {
  ghostSend,
  median,
  openLoop,
  percentile,
  pool,
  postWebhook,
  postWebhookUntilAccepted,
  sleep,
  userSend,
  waitPosted,
  type Conversation,
  type WebhookTarget,
} from './load.ts';

/*
 * Each measurement runs the bridge and its baseline back to back in the same run, on the same
 * Synapse, rooms and ghosts: only the path differs (carrier webhook → bridge → Synapse versus
 * a ghost's PUT straight to Synapse).
 */

export interface Bench {
  stack: Stack;
  hsUrl: string;
  target: WebhookTarget;
  conversations: Conversation[];
}

const uid = () => randomBytes(6).toString('hex');

/** Opens `count` conversations (one message each) and returns their rooms and ghosts. */
export async function openConversations(
  stack: Stack,
  target: WebhookTarget,
  count: number,
  numberBase: number,
): Promise<Conversation[]> {
  const addresses = Array.from(
    { length: count },
    (_, i) => `+1415${String(numberBase + i).padStart(7, '0')}`,
  );
  const ids = addresses.map(() => `warm-${uid()}`);
  await pool(
    addresses.map((address, i) => ({ address, id: ids[i]! })),
    8,
    ({ address, id }) => postWebhookUntilAccepted(target, { id, from: address, text: 'hello' }),
  );
  await waitPosted(stack.db, ids, 300_000);
  const { rows } = await stack.db.query<{ address: string; ghost: string; room_id: string }>(
    `SELECT ct.address, ct.ghost_localpart AS ghost, cv.room_id FROM conversations cv
     JOIN contacts ct ON ct.id = cv.contact_id WHERE cv.sender_id = $1 AND ct.address = ANY($2)`,
    [target.senderId, addresses],
  );
  return rows.map((r) => ({ address: r.address, ghost: `@${r.ghost}:localhost`, roomId: r.room_id }));
}

export interface CpuSample {
  bridge: number;
  synapse: number;
}

async function cpu(bench: Bench): Promise<CpuSample> {
  return {
    bridge: bench.stack.bridge.usage().cpuSeconds,
    synapse: processUsage(await bench.stack.synapsePid()).cpuSeconds,
  };
}

export interface ThroughputResult {
  rooms: number;
  messages: number;
  baselinePerSecond: number;
  bridgePerSecond: number;
  /** CPU seconds per 1,000 messages, during the bridge's run. */
  bridgeCpuPer1000: number;
  synapseCpuPer1000: number;
  /** Synapse's CPU per 1,000 messages in the baseline run (its cost without the bridge). */
  baselineSynapseCpuPer1000: number;
}

/**
 * Sends `messages` spread over `rooms` conversations. Baseline: one sequential sender per room
 * (a room's messages keep their order, as the bridge keeps them). Bridge: the carrier posts every
 * webhook (32 in flight); the clock stops when the last message is persisted in Synapse.
 */
export async function throughput(bench: Bench, rooms: number, messages: number): Promise<ThroughputResult> {
  const convs = bench.conversations.slice(0, rooms);
  const perRoom = Math.ceil(messages / rooms);
  const total = perRoom * rooms;

  const cpuBase0 = await cpu(bench);
  const baseStarted = performance.now();
  await Promise.all(
    convs.map(async (c) => {
      for (let i = 0; i < perRoom; i++)
        await ghostSend(bench.hsUrl, bench.stack.asToken, c.ghost, c.roomId, `baseline ${i}`);
    }),
  );
  const baseSeconds = (performance.now() - baseStarted) / 1000;
  const cpuBase1 = await cpu(bench);

  // Rooms interleaved, as a carrier delivers them.
  const items = Array.from({ length: perRoom }, (_, i) =>
    convs.map((c) => ({ id: `tp-${uid()}`, from: c.address, text: `bridge ${i}` })),
  ).flat();
  const cpu0 = await cpu(bench);
  const started = Date.now();
  await pool(items, 32, (m) => postWebhookUntilAccepted(bench.target, m));
  const posted = await waitPosted(
    bench.stack.db,
    items.map((m) => m.id),
    600_000,
  );
  const cpu1 = await cpu(bench);
  const bridgeSeconds = (Math.max(...posted.values()) - started) / 1000;
  return {
    rooms,
    messages: total,
    baselinePerSecond: total / baseSeconds,
    bridgePerSecond: total / bridgeSeconds,
    bridgeCpuPer1000: ((cpu1.bridge - cpu0.bridge) * 1000) / total,
    synapseCpuPer1000: ((cpu1.synapse - cpu0.synapse) * 1000) / total,
    baselineSynapseCpuPer1000: ((cpuBase1.synapse - cpuBase0.synapse) * 1000) / total,
  };
}

export interface LatencyResult {
  ratePerSecond: number;
  messages: number;
  baseline: { p50: number; p99: number };
  bridge: { p50: number; p99: number };
  breakdown: { webhookToCommitP50: number; commitToPostedP50: number; commitToPostedP99: number };
}

/**
 * Open-loop latency at `rate` messages/s over the rooms: the baseline's is the PUT's round trip;
 * the bridge's runs from the webhook's start to the moment the bridge had Synapse's answer and
 * marked the message posted. Baseline and bridge alternate in `blocks` blocks, so that a change in
 * the machine's load (it is shared) weighs on both alike.
 */
export async function latency(
  bench: Bench,
  rooms: number,
  rate: number,
  messages: number,
  blocks = 3,
): Promise<LatencyResult> {
  const convs = bench.conversations.slice(0, rooms);
  const perBlock = Math.ceil(messages / blocks);
  const base: number[] = [];
  const sentAt = new Map<string, number>();
  const offset = Date.now() - performance.now();
  for (let block = 0; block < blocks; block++) {
    await openLoop(rate, perBlock, async (i, at) => {
      const c = convs[i % convs.length]!;
      await ghostSend(bench.hsUrl, bench.stack.asToken, c.ghost, c.roomId, `latency ${block}.${i}`);
      base.push(performance.now() - at);
    });
    await sleep(500);
    const ids: string[] = [];
    await openLoop(rate, perBlock, async (i, at) => {
      const c = convs[i % convs.length]!;
      const id = `lat-${uid()}`;
      ids.push(id);
      sentAt.set(id, at + offset);
      await postWebhookUntilAccepted(bench.target, { id, from: c.address, text: `latency ${block}.${i}` });
    });
    await waitPosted(bench.stack.db, ids, 300_000);
    await sleep(500);
  }
  const posted = await waitPosted(bench.stack.db, [...sentAt.keys()], 300_000);
  const bridge = [...posted.entries()].map(([id, at]) => at - sentAt.get(id)!);
  // Where the bridge's time goes: webhook to commit, then commit to posted.
  const { rows } = await bench.stack.db.query<{ id: string; received: string; handled: string }>(
    `SELECT provider_message_id AS id, (extract(epoch FROM received_at) * 1000)::text AS received,
            (extract(epoch FROM handled_at) * 1000)::text AS handled
     FROM inbox WHERE provider_message_id = ANY($1)`,
    [[...sentAt.keys()]],
  );
  const toCommit = rows.map((r) => Number(r.received) - sentAt.get(r.id)!);
  const toPosted = rows.map((r) => Number(r.handled) - Number(r.received));
  return {
    ratePerSecond: rate,
    messages: perBlock * blocks,
    baseline: { p50: median(base), p99: percentile(base, 99) },
    bridge: { p50: median(bridge), p99: percentile(bridge, 99) },
    breakdown: {
      webhookToCommitP50: median(toCommit),
      commitToPostedP50: median(toPosted),
      commitToPostedP99: percentile(toPosted, 99),
    },
  };
}

export interface AckResult {
  ratePerSecond: number;
  seconds: number;
  webhooks: number;
  non2xx: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Acknowledged webhooks whose message was not in the inbox when checked: must be 0. */
  ackedButMissing: number;
  drainSeconds: number;
}

/**
 * Two senders at `perSender` webhooks/s each for `seconds`: the carrier's view of the bridge
 * (acknowledgement time), then a check that every acknowledged message was committed.
 */
export async function acknowledgement(
  bench: Bench,
  second: { target: WebhookTarget; conversations: Conversation[] },
  perSender: number,
  seconds: number,
): Promise<AckResult> {
  const lanes = [
    { target: bench.target, convs: bench.conversations },
    { target: second.target, convs: second.conversations },
  ];
  const times: number[] = [];
  const acked: string[] = [];
  let non2xx = 0;
  const count = perSender * seconds;
  await Promise.all(
    lanes.map((lane) =>
      openLoop(perSender, count, async (i) => {
        const c = lane.convs[i % lane.convs.length]!;
        const id = `ack-${uid()}`;
        const t0 = performance.now();
        try {
          const status = await postWebhook(lane.target, { id, from: c.address, text: `ack ${i}` });
          times.push(performance.now() - t0);
          if (status < 300) acked.push(id);
          else non2xx++;
        } catch {
          times.push(performance.now() - t0);
          non2xx++;
        }
      }),
    ),
  );
  const { rows } = await bench.stack.db.query<{ n: string }>(
    'SELECT count(*) AS n FROM inbox WHERE provider_message_id = ANY($1)',
    [acked],
  );
  const drainStarted = performance.now();
  await waitPosted(bench.stack.db, acked, 600_000);
  return {
    ratePerSecond: perSender * lanes.length,
    seconds,
    webhooks: times.length,
    non2xx,
    p50: median(times),
    p99: percentile(times, 99),
    p999: percentile(times, 99.9),
    max: Math.max(...times),
    ackedButMissing: acked.length - Number(rows[0]?.n ?? 0),
    drainSeconds: (performance.now() - drainStarted) / 1000,
  };
}

export interface OutboundResult {
  rooms: number;
  messages: number;
  /** Burst: one agent per room sending as fast as Synapse takes it. */
  perSecond: number;
  agentSendP50: number;
  /** Open loop at `ratePerSecond`: Matrix send → the carrier's API call. */
  ratePerSecond: number;
  p50: number;
  p99: number;
}

/** Sends through Synapse as the agent; resolves with (text, time the send started). */
async function agentMessages(
  bench: Bench,
  convs: Conversation[],
  texts: string[],
  mode: { rate: number } | 'burst',
): Promise<{ startedAt: Map<string, number>; sendTimes: number[] }> {
  const startedAt = new Map<string, number>();
  const sendTimes: number[] = [];
  const send = async (i: number) => {
    const text = texts[i]!;
    startedAt.set(text, Date.now());
    const t0 = performance.now();
    await userSend(bench.hsUrl, bench.stack.agent.accessToken, convs[i % convs.length]!.roomId, text);
    sendTimes.push(performance.now() - t0);
  };
  if (mode === 'burst') {
    await Promise.all(
      convs.map(async (_, room) => {
        for (let i = room; i < texts.length; i += convs.length) await send(i);
      }),
    );
  } else {
    await openLoop(mode.rate, texts.length, (i) => send(i));
  }
  return { startedAt, sendTimes };
}

async function arrivals(bench: Bench, texts: string[]): Promise<Map<string, number>> {
  const wanted = new Set(texts);
  const found = new Map<string, number>();
  const deadline = Date.now() + 300_000;
  while (found.size < wanted.size) {
    for (const m of bench.stack.phone.messages)
      if (m.text && wanted.has(m.text)) found.set(m.text, m.receivedAt);
    if (Date.now() > deadline)
      throw new Error(`only ${found.size} of ${wanted.size} outbound messages arrived`);
    await sleep(100);
  }
  return found;
}

/**
 * Agents' messages: a burst (one sequential agent per room) for sends/s, then an open loop at
 * `rate` for the latency from the agent's send to the provider's API call.
 */
export async function outbound(
  bench: Bench,
  rooms: number,
  messages: number,
  rate: number,
): Promise<OutboundResult> {
  const { stack } = bench;
  const convs = bench.conversations.slice(0, rooms);
  for (const c of convs) await stack.addAgent(c.roomId);
  const tag = uid();
  const burstTexts = Array.from({ length: messages }, (_, i) => `out ${tag} burst ${i}`);
  const started = Date.now();
  const burst = await agentMessages(bench, convs, burstTexts, 'burst');
  const burstArrived = await arrivals(bench, burstTexts);
  const perSecond = messages / ((Math.max(...burstArrived.values()) - started) / 1000);

  await sleep(1000);
  const loopTexts = Array.from({ length: Math.ceil(messages / 2) }, (_, i) => `out ${tag} loop ${i}`);
  const loop = await agentMessages(bench, convs, loopTexts, { rate });
  const loopArrived = await arrivals(bench, loopTexts);
  const lat = loopTexts.map((t) => loopArrived.get(t)! - loop.startedAt.get(t)!);
  return {
    rooms,
    messages,
    perSecond,
    agentSendP50: median(burst.sendTimes),
    ratePerSecond: rate,
    p50: median(lat),
    p99: percentile(lat, 99),
  };
}
