import type { AckResult, LatencyResult, OutboundResult, ThroughputResult } from './scenarios.ts';
import type { ScaleResult } from './scale.ts';

export interface Report {
  date: string;
  machine: {
    cpu: string;
    cores: number;
    memoryGb: number;
    node: string;
    synapse: string;
    synapseDatabase: string;
    postgres: string;
    loadAverage: number[];
  };
  runs: number;
  quick: boolean;
  throughput: {
    rooms: number;
    messages: number;
    baselinePerSecond: number;
    bridgePerSecond: number;
    ratio: number;
    bridgeCpuPer1000: number;
    synapseCpuPer1000: number;
    baselineSynapseCpuPer1000: number;
    runs: ThroughputResult[];
  }[];
  latency: {
    ratePerSecond: number;
    messages: number;
    baselineP50: number;
    baselineP99: number;
    bridgeP50: number;
    bridgeP99: number;
    webhookToCommitP50: number;
    commitToPostedP50: number;
    runs: LatencyResult[];
  };
  acknowledgement: AckResult;
  outbound: {
    messages: number;
    ratePerSecond: number;
    agentSendP50: number;
    p50: number;
    p99: number;
    perSecond: number;
    runs: OutboundResult[];
  };
  scale: ScaleResult;
  durationSeconds: number;
}

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

/** A Markdown table (pasted into the README as is) and the goals it misses. */
export function renderTable(r: Report): { text: string; failures: string[] } {
  const rows: [string, string, string, string, string][] = [];
  const failures: string[] = [];
  const goal = (ok: boolean, label: string) => {
    if (!ok) failures.push(label);
    return ok ? 'yes' : '**no**';
  };
  for (const t of r.throughput) {
    const target = t.rooms === 1 ? 0.9 : t.rooms === 100 ? 0.8 : undefined;
    rows.push([
      `Inbound throughput, ${t.rooms} room${t.rooms > 1 ? 's' : ''} (${t.messages} msgs), msgs/s`,
      f1(t.baselinePerSecond),
      f1(t.bridgePerSecond),
      `${f2(t.ratio)}×${target ? ` (goal ≥ ${target})` : ''}`,
      target ? goal(t.ratio >= target, `throughput ${t.rooms} rooms`) : '',
    ]);
  }
  const l = r.latency;
  rows.push([
    `Latency p50 at ${f0(l.ratePerSecond)} msgs/s (half capacity), ms`,
    f0(l.baselineP50),
    f0(l.bridgeP50),
    `+${f0(l.bridgeP50 - l.baselineP50)} ms (goal ≤ +20); webhook → commit ${f0(l.webhookToCommitP50)}, commit → posted ${f0(l.commitToPostedP50)}`,
    goal(l.bridgeP50 <= l.baselineP50 + 20, 'latency p50'),
  ]);
  rows.push([
    'Latency p99, ms',
    f0(l.baselineP99),
    f0(l.bridgeP99),
    `${f2(l.bridgeP99 / l.baselineP99)}× (goal ≤ 1.5)`,
    goal(l.bridgeP99 <= 1.5 * l.baselineP99, 'latency p99'),
  ]);
  const a = r.acknowledgement;
  rows.push([
    `Webhook ack at ${a.ratePerSecond}/s for ${a.seconds}s (${a.webhooks} webhooks), p50 / p99 / p99.9 / max ms`,
    '',
    `${f0(a.p50)} / ${f0(a.p99)} / ${f0(a.p999)} / ${f0(a.max)}`,
    `p99.9 goal ≤ 1000; non-2xx ${a.non2xx}; acked but not stored ${a.ackedButMissing}`,
    goal(a.p999 <= 1000 && a.ackedButMissing === 0 && a.non2xx === 0, 'acknowledgement'),
  ]);
  const o = r.outbound;
  rows.push([
    `Outbound at ${o.ratePerSecond} msgs/s: agent's send in Matrix → carrier API call, p50 / p99 ms`,
    `agent's PUT alone p50 ${f0(o.agentSendP50)}`,
    `${f0(o.p50)} / ${f0(o.p99)}`,
    `burst of ${o.messages} over 10 rooms: ${f1(o.perSecond)} sends/s`,
    '',
  ]);
  const hundred = r.throughput.find((t) => t.rooms === 100)!;
  const cpuRatio = hundred.bridgeCpuPer1000 / hundred.synapseCpuPer1000;
  rows.push([
    'CPU seconds per 1,000 inbound msgs (100 rooms)',
    `Synapse ${f1(hundred.synapseCpuPer1000)} (alone: ${f1(hundred.baselineSynapseCpuPer1000)})`,
    f1(hundred.bridgeCpuPer1000),
    `${f2(cpuRatio)}× Synapse's (goal ≤ 0.25)`,
    goal(cpuRatio <= 0.25, 'CPU per message'),
  ]);
  const s = r.scale;
  rows.push([
    `Start-up with ${s.conversations.toLocaleString('en')} open conversations`,
    '',
    `${f1(s.startupMs / 1000)} s to ready, RSS ${f0(s.rssMb)} MB`,
    `${s.homeserverRequests} homeserver requests (goal ≤ 1 per room)`,
    goal(s.homeserverRequests <= s.conversations, 'start-up requests'),
  ]);

  const m = r.machine;
  const header =
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; Node ${m.node}; Synapse ${m.synapse} on ` +
    `${m.synapseDatabase}; Postgres ${m.postgres}; load average at the end ${m.loadAverage.join(' ')}. ` +
    `Medians of ${r.runs} run${r.runs > 1 ? 's' : ''}${r.quick ? ' (--quick)' : ''}; ${r.durationSeconds} s in all.`;
  const table = [
    '| measurement | baseline (Synapse alone) | bridge | ratio / detail | goal met |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ];
  const requests = s.requestsByShape.map(([shape, n]) => `  ${n} × ${shape}`).join('\n');
  return {
    text: `${header}\n\n${table.join('\n')}\n\nHomeserver requests at start-up:\n${requests}\n`,
    failures,
  };
}
