import type { Queryable } from '../../bridge/store/db.ts';
import { parsePeriod, PeriodError, spaceStats, type Distribution } from '../reports/stats.ts';
import { ArgumentError, arg } from './args.ts';
import { defineCommand } from './command.ts';
import { duration, plural } from './format.ts';

function times(d: Distribution, what: string): string {
  if (d.count === 0 || d.median === null) return `none ${what}`;
  return `median ${duration(d.median)}, p90 ${duration(d.p90 ?? d.median)} (${plural(d.count, what.replace(/s$/, ''))})`;
}

/** `stats [period]`: the space's conversations, handovers, response and resolution times. */
export function statsCommand(deps: { db: Queryable; now(): Date }) {
  return defineCommand({
    name: 'stats',
    summary: 'conversations, handovers, first response and resolution times, share resolved by the bot',
    details:
      'period: today (since 00:00 UTC), week (the last 7 days, the default), month (30 days) or a number of days like 14d. Times are medians and 90th percentiles.',
    args: [
      arg
        .parsed('period', 'today, week, month or Nd (default week)', (raw) => {
          try {
            parsePeriod(raw, new Date());
          } catch (err) {
            if (err instanceof PeriodError) throw new ArgumentError(`<period>: ${err.message}`);
            throw err;
          }
          return raw;
        })
        .orOmitted(),
    ],
    role: 'admin',
    rooms: ['control'],
    run: async (context, raw) => {
      const period = parsePeriod(raw, deps.now());
      const s = await spaceStats(deps.db, context.room.spaceId!, period);
      const share = s.ended
        ? `${Math.round((s.botResolved / s.ended) * 100)}% (${s.botResolved} of ${s.ended} ended)`
        : 'no conversation ended';
      return [
        `Statistics for ${period.label}:`,
        `Conversations: ${s.conversations} (${s.created} new, ${s.reopened} reopened)`,
        `Handovers to agents: ${s.handovers}`,
        `First response: ${times(s.firstResponse, 'responses')}`,
        `Resolution: ${times(s.resolution, 'resolutions')}`,
        `Resolved by the bot alone: ${share}`,
      ].join('\n');
    },
  });
}
