import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../bridge/context.ts';
import { errorInfo, logger } from '../bridge/log.ts';
import type { Database } from '../bridge/store/db.ts';
import { loadConversation } from './lifecycle/conversation.ts';
import { archive } from './lifecycle/transitions.ts';
import type { Router } from './routing/router.ts';

const log = logger('bot.sweeps');

export interface SweepReport {
  offersExpired: number;
  offlineNotified: number;
  archived: number;
}

/*
 * The periodic work of the lifecycle, on a node-cron schedule: offers past their timeout move on,
 * customers waiting past the space's limit get the offline message, the queue is offered again
 * (catching anything an event missed), and conversations inactive for bot.archiveAfterHours are
 * archived. Time comes from the injected clock, so tests move it and call run() instead of waiting.
 */
export class Sweeps {
  private readonly deps: {
    db: Database;
    clock: Clock;
    router: Router;
    archiveAfterHours: number;
    intervalSeconds: number;
  };
  private task: ScheduledTask | undefined;
  private running: Promise<SweepReport> | undefined;

  constructor(deps: Sweeps['deps']) {
    this.deps = deps;
  }

  start(): void {
    this.task = cron.schedule(
      `*/${this.deps.intervalSeconds} * * * * *`,
      async () => {
        await this.run().catch((err) => log.warn(errorInfo(err), 'sweep failed; the next one retries'));
      },
      {
        name: 'livechat-sweeps',
        noOverlap: true,
        // A sweep still running at the next tick is simply skipped.
        suppressMissedWarning: true,
        logger: {
          info: (message) => log.debug(message),
          warn: (message) => log.warn(message),
          error: (message) => log.warn(String(message)),
          debug: (message) => log.debug(String(message)),
        },
      },
    );
  }

  async stop(): Promise<void> {
    await this.task?.destroy();
    await this.running?.catch(() => undefined);
  }

  /** One sweep now; a sweep already running is awaited and followed by a fresh one. */
  async run(): Promise<SweepReport> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(): Promise<SweepReport> {
    const { router } = this.deps;
    const offersExpired = await router.expireOffers();
    const offlineNotified = await router.remindLongWaits();
    await router.routeAll();
    const archived = await this.archiveInactive();
    if (offersExpired || offlineNotified || archived) {
      log.info({ offersExpired, offlineNotified, archived }, 'sweep');
    }
    return { offersExpired, offlineNotified, archived };
  }

  private async archiveInactive(): Promise<number> {
    const { db, clock, router, archiveAfterHours } = this.deps;
    const cutoff = new Date(clock.now().getTime() - archiveAfterHours * 3600_000);
    const due = await db.query<{ id: string }>(
      `SELECT id FROM conversations WHERE state IN ('bot', 'resolved') AND archived_at IS NULL
         AND GREATEST(last_activity_at, COALESCE(state_changed_at, created_at)) <= $1`,
      [cutoff],
    );
    let archived = 0;
    for (const { id } of due.rows) {
      const done = await router.run('system', async (tx, ctx) => {
        const conversation = await loadConversation(tx, id, { lock: true });
        if (!conversation || (conversation.state !== 'bot' && conversation.state !== 'resolved'))
          return false;
        const last = await tx.query<{ at: Date }>(
          'SELECT GREATEST(last_activity_at, COALESCE(state_changed_at, created_at)) AS at FROM conversations WHERE id = $1',
          [id],
        );
        if (last.rows[0]!.at > cutoff) return false;
        await archive(tx, conversation, ctx, { inactiveHours: archiveAfterHours });
        return true;
      });
      if (done) archived++;
    }
    return archived;
  }
}
