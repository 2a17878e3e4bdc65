import type { Clock } from '../bridge/context.ts';
import type { Metrics } from '../bridge/metrics.ts';
import type { Queryable } from '../bridge/store/db.ts';
import type { LifecycleObserver } from './lifecycle/transitions.ts';
import type { RoutingMetrics } from './routing/router.ts';

/** Seconds: from a few seconds to a day. */
const WAIT_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600];

export interface BotMetrics {
  observer: LifecycleObserver;
  routing: RoutingMetrics;
  firstResponse(seconds: number): void;
}

/** The live-chat metrics: queue, offers, assignments, response and resolution times. */
export function createBotMetrics(metrics: Metrics, db: Queryable, clock: Clock): BotMetrics {
  metrics.gauge('queue_length', 'Conversations waiting for an agent', ['space'], async function () {
    const result = await db.query<{ space_id: string; n: number }>(
      `SELECT space_id, count(*)::int AS n FROM conversations WHERE state = 'queued' AND archived_at IS NULL
       GROUP BY space_id`,
    );
    this.reset();
    for (const r of result.rows) this.set({ space: r.space_id }, r.n);
  });
  metrics.gauge(
    'queue_oldest_wait_seconds',
    'How long the longest-waiting customer has waited',
    ['space'],
    async function () {
      const result = await db.query<{ space_id: string; oldest: Date }>(
        `SELECT space_id, min(queued_at) AS oldest FROM conversations WHERE state = 'queued' AND archived_at IS NULL
       GROUP BY space_id`,
      );
      this.reset();
      const now = clock.now().getTime();
      for (const r of result.rows)
        this.set({ space: r.space_id }, Math.max(0, (now - r.oldest.getTime()) / 1000));
    },
  );
  const wait = metrics.histogram(
    'queue_wait_seconds',
    'Time from entering the queue to an agent taking the conversation',
    ['policy'],
    WAIT_BUCKETS,
  );
  const offers = metrics.counter('offers_total', 'Conversations offered to agents', ['policy', 'kind']);
  const timeouts = metrics.counter('offer_timeouts_total', 'Offers not answered in time (moved on)', [
    'policy',
  ]);
  const assignments = metrics.counter('assignments_total', 'Conversations assigned to agents', [
    'policy',
    'via',
  ]);
  const firstResponse = metrics.histogram(
    'first_response_seconds',
    "Time from the customer's handover to the agent's first message",
    [],
    WAIT_BUCKETS,
  );
  const resolution = metrics.histogram(
    'resolution_seconds',
    'Time from the start (or reopening) of a conversation to its resolution',
    [],
    WAIT_BUCKETS,
  );
  return {
    observer: {
      assigned(policy, via, waitedSeconds) {
        assignments.inc({ policy, via });
        if (waitedSeconds !== undefined && via === 'offer') wait.observe({ policy }, waitedSeconds);
      },
      resolved: (seconds) => resolution.observe(seconds),
    },
    routing: {
      offered: (policy, kind) => offers.inc({ policy, kind }),
      offerExpired: (policy) => timeouts.inc({ policy }),
    },
    firstResponse: (seconds) => firstResponse.observe(seconds),
  };
}
