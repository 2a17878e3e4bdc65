/*
 * Who gets offered which queued conversation: a pure function of the queue and the agents, so every
 * policy can be tested without a homeserver. The router runs it under a per-space lock and turns
 * the plan into offers (rows and invitations).
 *
 * - An agent is free when online with open chats + pending offers below their maxChats: a full
 *   agent is never offered another, and offers count until answered.
 * - The queue is served in order (requeued first, then oldest first).
 * - A reopened conversation goes first to the agent who had it, if they are free (one timed offer).
 * - broadcast: every free agent not yet asked is offered it at once; the first to join wins.
 * - round-robin / least-busy: one agent at a time, the next after a timeout or a refusal; agents
 *   already asked in this wait come again only when everyone free has been asked.
 */

export type RoutingPolicy = 'broadcast' | 'round-robin' | 'least-busy';

export interface AgentLoad {
  id: string;
  online: boolean;
  maxChats: number;
  open: number;
  pending: number;
  lastOfferedAt: Date | null;
  lastAssignedAt: Date | null;
}

export interface QueueEntry {
  id: string;
  /** The agent who had it before it reopened (offered first). */
  lastAgentId: string | null;
  /** Offers of this wait still open: agent and whether they expire (one-at-a-time offers do). */
  pending: readonly { agentId: string; timed: boolean }[];
  /** Agents who let an offer of this wait expire, refused it, or gave the conversation back. */
  tried: readonly string[];
  /** The agent who had it was already offered it in this wait (or is gone). */
  reopenTried: boolean;
}

export interface PlannedOffer {
  conversationId: string;
  agentId: string;
  kind: 'queue' | 'reopen';
  /** Expires after the space's offer timeout (one-at-a-time policies and reopen offers). */
  timed: boolean;
}

interface Candidate extends AgentLoad {
  order: number;
  /** Offers planned in this run, for rotation among them. */
  planned: number;
}

function isFree(agent: Candidate): boolean {
  return agent.online && agent.open + agent.pending < agent.maxChats;
}

const time = (d: Date | null): number => (d ? d.getTime() : -Infinity);

function rank(policy: RoutingPolicy, a: Candidate, b: Candidate): number {
  if (policy === 'least-busy') {
    return (
      a.open - b.open ||
      a.pending - b.pending ||
      time(a.lastAssignedAt) - time(b.lastAssignedAt) ||
      a.order - b.order
    );
  }
  // Round-robin: the one asked longest ago (never asked first), in seat order.
  return a.planned - b.planned || time(a.lastOfferedAt) - time(b.lastOfferedAt) || a.order - b.order;
}

export function planOffers(
  policy: RoutingPolicy,
  queue: readonly QueueEntry[],
  agents: readonly AgentLoad[],
): PlannedOffer[] {
  const pool: Candidate[] = agents.map((a, order) => ({ ...a, order, planned: 0 }));
  const byId = new Map(pool.map((a) => [a.id, a]));
  const plan: PlannedOffer[] = [];
  const offer = (entry: QueueEntry, agent: Candidate, kind: PlannedOffer['kind'], timed: boolean) => {
    plan.push({ conversationId: entry.id, agentId: agent.id, kind, timed });
    agent.pending++;
    agent.planned++;
  };

  for (const entry of queue) {
    // Someone has it in hand for a while (reopen, transfer, one-at-a-time): wait for their answer.
    if (entry.pending.some((p) => p.timed)) continue;
    const previous = entry.lastAgentId ? byId.get(entry.lastAgentId) : undefined;
    if (previous && !entry.reopenTried && entry.pending.length === 0 && isFree(previous)) {
      offer(entry, previous, 'reopen', true);
      continue;
    }
    const asked = new Set(entry.pending.map((p) => p.agentId));
    const free = pool.filter((a) => isFree(a) && !asked.has(a.id));
    if (policy === 'broadcast') {
      for (const agent of free.filter((a) => !entry.tried.includes(a.id)))
        offer(entry, agent, 'queue', false);
      continue;
    }
    if (entry.pending.length > 0) continue;
    const fresh = free.filter((a) => !entry.tried.includes(a.id));
    const candidates = (fresh.length > 0 ? fresh : free).sort((a, b) => rank(policy, a, b));
    if (candidates[0]) offer(entry, candidates[0], 'queue', true);
  }
  return plan;
}

/** Positions in the queue (1 = next), in the order given. */
export function queuePositions(ids: readonly string[]): Map<string, number> {
  return new Map(ids.map((id, i) => [id, i + 1]));
}

/**
 * Whether to tell a waiting customer their new place: only when it changed, and at most once per
 * interval (a busy queue would otherwise text them at every move).
 */
export function shouldNotifyPosition(
  position: number,
  notified: { position: number | null; at: Date | null },
  now: Date,
  intervalMs = 60_000,
): boolean {
  if (notified.position === position) return false;
  return notified.at === null || now.getTime() - notified.at.getTime() >= intervalMs;
}
