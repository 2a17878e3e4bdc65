import type { Queryable } from '../../bridge/store/db.ts';

/*
 * A space's numbers over a period, from the store (the journey and the conversations), so they
 * cover every process and survive restarts; Prometheus metrics are the live view of the same.
 *
 * - conversations: episodes started: new conversations plus reopened ones;
 * - handovers: customers who asked for (or were sent to) an agent;
 * - first response: from entering the queue (or the bot's episode, for a takeover) to the
 *   agent's first message, per wait;
 * - resolution: from the episode's start to `resolve`;
 * - resolved by the bot: of the episodes that ended in the period (resolved by an agent, or
 *   archived after inactivity), those that ended with the bot and were never handed over.
 */

export interface Period {
  from: Date;
  to: Date;
  label: string;
}

export class PeriodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeriodError';
  }
}

const DAY = 86_400_000;

/** today (since 00:00 UTC), week (7 days), month (30 days), or Nd (the last N days, 1–365). */
export function parsePeriod(raw: string | undefined, now: Date): Period {
  const word = (raw ?? 'week').toLowerCase();
  if (word === 'today') {
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    return { from, to: now, label: 'today (since 00:00 UTC)' };
  }
  const days = word === 'week' ? 7 : word === 'month' ? 30 : /^(\d{1,3})d$/.exec(word)?.[1];
  const n = Number(days);
  if (!days || !Number.isInteger(n) || n < 1 || n > 365) {
    throw new PeriodError(
      `the period must be today, week, month or a number of days like 14d (1–365), not "${raw}"`,
    );
  }
  return {
    from: new Date(now.getTime() - n * DAY),
    to: now,
    label: `the last ${n} day${n === 1 ? '' : 's'}`,
  };
}

export interface Distribution {
  count: number;
  median: number | null;
  p90: number | null;
}

export interface SpaceStats {
  conversations: number;
  created: number;
  reopened: number;
  handovers: number;
  firstResponse: Distribution;
  resolution: Distribution;
  ended: number;
  botResolved: number;
}

export async function spaceStats(db: Queryable, spaceId: string, period: Period): Promise<SpaceStats> {
  const result = await db.query<{
    created: number;
    reopened: number;
    handovers: number;
    fr_count: number;
    fr_median: number | null;
    fr_p90: number | null;
    res_count: number;
    res_median: number | null;
    res_p90: number | null;
    bot_ended: number;
  }>(
    `WITH j AS (
       SELECT j.type, j.detail FROM journey j JOIN conversations c ON c.id = j.conversation_id
       WHERE c.space_id = $1 AND j.at >= $2 AND j.at < $3
     ), fr AS (
       SELECT (detail->>'seconds')::float8 AS s FROM j WHERE type = 'first-response' AND detail ? 'seconds'
     ), res AS (
       SELECT (detail->>'seconds')::float8 AS s FROM j WHERE type = 'resolve' AND detail ? 'seconds'
     )
     SELECT
       (SELECT count(*) FROM conversations WHERE space_id = $1 AND created_at >= $2 AND created_at < $3)::int AS created,
       (SELECT count(*) FROM j WHERE type = 'reopen')::int AS reopened,
       (SELECT count(*) FROM j WHERE type = 'handover')::int AS handovers,
       (SELECT count(*) FROM fr)::int AS fr_count,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FROM fr) AS fr_median,
       (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY s) FROM fr) AS fr_p90,
       (SELECT count(*) FROM j WHERE type = 'resolve')::int AS res_count,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FROM res) AS res_median,
       (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY s) FROM res) AS res_p90,
       (SELECT count(*) FROM j WHERE type = 'archive' AND detail->>'from' = 'bot')::int AS bot_ended`,
    [spaceId, period.from, period.to],
  );
  const r = result.rows[0]!;
  return {
    conversations: r.created + r.reopened,
    created: r.created,
    reopened: r.reopened,
    handovers: r.handovers,
    firstResponse: { count: r.fr_count, median: r.fr_median, p90: r.fr_p90 },
    resolution: { count: r.res_count, median: r.res_median, p90: r.res_p90 },
    ended: r.res_count + r.bot_ended,
    botResolved: r.bot_ended,
  };
}
