/*
 * npm run bench [-- --quick] [-- --runs N] [-- --sqlite]
 *
 * Starts a deployment of its own (embedded Postgres, Synapse on a database in it, the bridge as a
 * child process, the fake phone), then measures the bridge against a baseline in the same run:
 * inbound throughput and latency, webhook acknowledgement under load, outbound delivery, CPU per
 * message versus Synapse, and a start-up with 10,000 open conversations. Prints a table and
 * writes bench/results/<time>.json.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { synapseVersion } from '../test/harness/synapse-install.ts';
import { startStack } from '../test/harness/stack.ts';
import { median } from './load.ts';
import { renderTable, type Report } from './report.ts';
import { seedConversations, settle, startup } from './scale.ts';
import {
  acknowledgement,
  latency,
  openConversations,
  outbound,
  throughput,
  type Bench,
  type ThroughputResult,
} from './scenarios.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    sqlite: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const runs = Number(values.runs ?? (quick ? 1 : 3));
const size = quick
  ? { rooms: { 1: 100, 10: 200, 100: 300 }, latency: 150, ackSeconds: 5, outbound: 100, scale: 10_000 }
  : { rooms: { 1: 200, 10: 400, 100: 600 }, latency: 300, ackSeconds: 20, outbound: 300, scale: 10_000 };
const log = (text: string) => console.log(`[bench] ${text}`);

const began = Date.now();
const dir = await mkdtemp(join(os.tmpdir(), 'livechat-bench-'));
const synapseDatabase = values.sqlite ? 'sqlite' : 'postgres';
log(`starting Postgres, Synapse (${synapseDatabase}) and the bridge in ${dir}`);
const stack = await startStack({ dir, synapseDatabase, countRequests: true });
let exitCode = 0;
try {
  await stack.bridge.start();
  // Live-chat senders with the agent online: every conversation goes to the agent, and the bot keeps
  // quiet while an agent has it, so the inbound path measured is the bridge's alone (a chatbot
  // sender would also answer each message, a second message through Synapse and the provider).
  const main = await stack.createSender('Bench', '+14155550100', 'livechat');
  const other = await stack.createSender('Bench 2', '+14155550101', 'livechat');
  for (const sender of [main, other])
    await stack.db.query(
      `INSERT INTO agents (space_id, user_id, role, online, max_chats) VALUES ($1, $2, 'agent', true, 1000)`,
      [sender.spaceId, stack.agent.userId],
    );
  const publicUrl = stack.config.publicUrl;
  const target = { publicUrl, ...main };
  const otherTarget = { publicUrl, ...other };
  log('opening 100 + 50 conversations');
  const conversations = await openConversations(stack, target, 100, 1000);
  const otherConversations = await openConversations(stack, otherTarget, 50, 5000);
  log('the agent takes every conversation');
  for (const c of [...conversations, ...otherConversations]) await stack.addAgent(c.roomId);
  await settle(stack);
  const bench: Bench = { stack, hsUrl: stack.synapse.url, target, conversations };

  const tput: Record<number, ThroughputResult[]> = { 1: [], 10: [], 100: [] };
  const lat = [];
  const out = [];
  for (let r = 1; r <= runs; r++) {
    for (const rooms of [1, 10, 100] as const) {
      log(`run ${r}/${runs}: throughput, ${rooms} room(s)`);
      tput[rooms]!.push(await throughput(bench, rooms, size.rooms[rooms]));
    }
    const capacity = tput[10]!.at(-1)!.baselinePerSecond;
    log(`run ${r}/${runs}: latency at half the baseline's capacity (${(capacity / 2).toFixed(0)}/s)`);
    lat.push(await latency(bench, 10, capacity / 2, size.latency));
    log(`run ${r}/${runs}: outbound`);
    out.push(await outbound(bench, 10, size.outbound, 10));
  }
  log(`acknowledgement: 2 × 80 webhooks/s for ${size.ackSeconds}s`);
  const ack = await acknowledgement(
    bench,
    { target: otherTarget, conversations: otherConversations },
    80,
    size.ackSeconds,
  );
  log(`scale: ${size.scale} open conversations, start-up through the counting proxy`);
  await settle(stack);
  await seedConversations(stack, main.senderId, size.scale);
  const scale = await startup(stack, size.scale + 150);

  const pgVersion = (await stack.db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
    .rows[0]!.v;
  const report: Report = {
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGb: Math.round(os.totalmem() / 1024 ** 3),
      node: process.version,
      synapse: synapseVersion(),
      synapseDatabase,
      postgres: pgVersion,
      loadAverage: os.loadavg().map((n) => Number(n.toFixed(2))),
    },
    runs,
    quick,
    throughput: Object.entries(tput).map(([rooms, list]) => ({
      rooms: Number(rooms),
      messages: list[0]!.messages,
      baselinePerSecond: median(list.map((t) => t.baselinePerSecond)),
      bridgePerSecond: median(list.map((t) => t.bridgePerSecond)),
      ratio: median(list.map((t) => t.bridgePerSecond / t.baselinePerSecond)),
      bridgeCpuPer1000: median(list.map((t) => t.bridgeCpuPer1000)),
      synapseCpuPer1000: median(list.map((t) => t.synapseCpuPer1000)),
      baselineSynapseCpuPer1000: median(list.map((t) => t.baselineSynapseCpuPer1000)),
      runs: list,
    })),
    latency: {
      ratePerSecond: median(lat.map((l) => l.ratePerSecond)),
      messages: size.latency,
      baselineP50: median(lat.map((l) => l.baseline.p50)),
      baselineP99: median(lat.map((l) => l.baseline.p99)),
      bridgeP50: median(lat.map((l) => l.bridge.p50)),
      bridgeP99: median(lat.map((l) => l.bridge.p99)),
      webhookToCommitP50: median(lat.map((l) => l.breakdown.webhookToCommitP50)),
      commitToPostedP50: median(lat.map((l) => l.breakdown.commitToPostedP50)),
      runs: lat,
    },
    acknowledgement: ack,
    outbound: {
      messages: size.outbound,
      ratePerSecond: 10,
      agentSendP50: median(out.map((o) => o.agentSendP50)),
      p50: median(out.map((o) => o.p50)),
      p99: median(out.map((o) => o.p99)),
      perSecond: median(out.map((o) => o.perSecond)),
      runs: out,
    },
    scale,
    durationSeconds: Math.round((Date.now() - began) / 1000),
  };
  const { text, failures } = renderTable(report);
  console.log(text);
  const file = join(import.meta.dirname, 'results', `${report.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify(report, null, 2));
  log(`wrote ${file}`);
  if (failures.length > 0) log(`goals missed: ${failures.join('; ')}`);
} catch (err) {
  console.error(err);
  console.error(`[bench] logs in ${dir}`);
  exitCode = 1;
} finally {
  await stack.stop();
  if (exitCode === 0 && !values.keep) await rm(dir, { recursive: true, force: true });
}
process.exit(exitCode);
