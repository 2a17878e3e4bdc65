import type { Database } from '../store/db.ts';
import { errorInfo, logger } from '../log.ts';
import { PermanentError, RetryableError } from './errors.ts';

/*
 * A durable queue over a Postgres table, processed in order per key (a room, a conversation) and in
 * parallel across keys. Only the oldest pending row of a key may run, so a row waiting for a retry
 * holds back the rows behind it: order is kept through failures. A generic job queue re-orders on
 * retry, which is why inbox, outbox and Matrix events use this instead.
 *
 * A claim is a lease (locked_until), taken with a conditional UPDATE, so several bridge processes can
 * share one database; a process that dies loses its leases when they expire and another takes over
 * (or itself, restarted). Leases are short and renewed while a row is in hand (a third of the lease),
 * so a crash holds a conversation back for seconds, not minutes, and a slow provider call does not
 * lose its lease.
 *
 * The table needs: id bigserial, <key column>, state ('pending' | 'done' | 'failed'), attempts int,
 * next_attempt_at timestamptz, locked_until timestamptz, last_error text, handled_at timestamptz.
 */

export interface Backoff {
  baseMs: number;
  maxMs: number;
  /** After this many attempts the row fails (onFailed is called). Unlimited when absent. */
  maxAttempts?: number;
}

export interface QueueRow {
  id: string;
  attempts: number;
}

export interface OrderedQueueOptions<Row extends QueueRow> {
  name: string;
  table: string;
  keyColumn: string;
  concurrency: number;
  leaseSeconds: number;
  pollMs: number;
  backoff: Backoff;
  /** Does the work. Resolve: done. Throw RetryableError or any error: retry. PermanentError: fail now. */
  handle(row: Row): Promise<void>;
  /** Called once when a row is given up; must make the failure visible (a notice in the room). */
  onFailed?(row: Row, error: unknown): Promise<void>;
  /** Observes each outcome (metrics). */
  onOutcome?(outcome: 'done' | 'retry' | 'failed', row: Row, durationMs: number): void;
  /** Observes each error that leads to a retry (to notice an outage of what the handler calls). */
  onRetry?(error: unknown): void;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** Rows of one key run back to back in one slot before it goes back to the pool. */
const MAX_CHAIN = 20;

export function backoffDelay(backoff: Backoff, attempts: number, retryAfterMs?: number): number {
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempts - 1));
  // Full jitter on the upper half keeps many retrying rows from hitting a provider in step.
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}

export class OrderedQueue<Row extends QueueRow> {
  private readonly db: Database;
  private readonly options: OrderedQueueOptions<Row>;
  private readonly log;
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private running = false;
  private pumping: Promise<void> | undefined;
  private again = false;

  constructor(db: Database, options: OrderedQueueOptions<Row>) {
    if (!IDENTIFIER.test(options.table) || !IDENTIFIER.test(options.keyColumn)) {
      throw new Error(`invalid queue table or key column: ${options.table}.${options.keyColumn}`);
    }
    this.db = db;
    this.options = options;
    this.log = logger(`bridge.queue.${options.name}`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.heartbeat = setInterval(() => void this.renewLeases(), (this.options.leaseSeconds * 1000) / 3);
    this.heartbeat.unref();
    this.wake();
  }

  /** Ask for a look at the table now (after an insert), instead of at the next poll. */
  wake(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      // A wake that came in after the last look must not wait for the next poll.
      if (this.again && this.running) this.wake();
      else this.schedule();
    });
  }

  /** Stops claiming and waits for the rows in hand (up to timeoutMs); unfinished leases expire. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    // A claim in progress may still hand out rows: wait for it before waiting for the rows.
    await this.pumping;
    const pending = Promise.allSettled([...this.inFlight.values()]);
    await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    clearInterval(this.heartbeat);
  }

  private async renewLeases(): Promise<void> {
    const ids = [...this.inFlight.keys()];
    if (ids.length === 0) return;
    await this.db
      .query(
        `UPDATE ${this.options.table} SET locked_until = now() + make_interval(secs => $2)
         WHERE id = ANY($1::bigint[]) AND state = 'pending'`,
        [ids, this.options.leaseSeconds],
      )
      .catch((err) => this.log.warn(errorInfo(err), 'could not renew leases; they may expire'));
  }

  /**
   * Rows waiting for a retry run now instead of after their backoff: what they waited for (the
   * homeserver) is back.
   */
  async retryNow(): Promise<void> {
    await this.db.query(
      `UPDATE ${this.options.table} SET next_attempt_at = now() WHERE state = 'pending' AND next_attempt_at > now()`,
    );
    this.wake();
  }

  get busy(): number {
    return this.inFlight.size;
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        const free = this.options.concurrency - this.inFlight.size;
        if (free <= 0 || !this.running) break;
        const rows = await this.claim(free);
        for (const row of rows) this.startLane(row);
        if (rows.length === free) this.again = true;
      } while (this.again && this.running);
    } catch (err) {
      this.log.warn(errorInfo(err), 'claiming work failed; will retry');
    }
  }

  /*
   * Runs a row, then the rows after it of the same key while they are ready: the statement that
   * marks a row done also claims the next one, so a busy conversation costs one round trip per row
   * instead of two and does not wait for the next look at the table. The chain is capped so one
   * busy key cannot keep its slot from the others.
   */
  private startLane(first: Row): void {
    let current = first;
    const lane: { work?: Promise<void> } = {};
    lane.work = (async () => {
      for (let chained = 1; ; chained++) {
        const next = await this.run(current, chained < MAX_CHAIN);
        if (!next) return;
        this.inFlight.set(next.id, lane.work!);
        this.inFlight.delete(current.id);
        current = next;
      }
    })().finally(() => {
      this.inFlight.delete(current.id);
      this.wake();
    });
    this.inFlight.set(first.id, lane.work);
  }

  private schedule(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), this.options.pollMs);
    this.timer.unref();
  }

  /*
   * The UPDATE re-checks state and lease on the row's latest version: a claim whose snapshot was
   * taken before another process claimed, finished and released a row must not take it again.
   */
  private async claim(limit: number): Promise<Row[]> {
    const { table, keyColumn, leaseSeconds } = this.options;
    const exclude = [...this.inFlight.keys()];
    const result = await this.db.query<Row>(
      `WITH heads AS (
         SELECT DISTINCT ON (${keyColumn}) id, next_attempt_at, locked_until
         FROM ${table} WHERE state = 'pending' ORDER BY ${keyColumn}, id
       ), ready AS (
         SELECT id FROM heads
         WHERE next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
           AND NOT (id = ANY($2::bigint[]))
         ORDER BY id LIMIT $1
       )
       UPDATE ${table} t SET locked_until = now() + make_interval(secs => $3), attempts = t.attempts + 1
       FROM ready WHERE t.id = ready.id AND t.state = 'pending'
         AND (t.locked_until IS NULL OR t.locked_until < now())
       RETURNING t.*`,
      [limit, exclude, leaseSeconds],
    );
    return result.rows;
  }

  /** What logs say of a row: its id and its key (a conversation, a room), to follow one conversation. */
  private describe(row: Row): Record<string, unknown> {
    return {
      id: row.id,
      [this.options.keyColumn]: (row as unknown as Record<string, unknown>)[this.options.keyColumn],
    };
  }

  /** Handles a row; when it is done and `chain` allows, returns the next row of its key, claimed. */
  private async run(row: Row, chain: boolean): Promise<Row | undefined> {
    const started = performance.now();
    const { table, keyColumn, leaseSeconds } = this.options;
    try {
      await this.options.handle(row);
      let next: Row | undefined;
      if (chain && this.running) {
        // The snapshot still shows this row pending: the next head is the oldest other pending row.
        const result = await this.db.query<Row>(
          `WITH finished AS (
             UPDATE ${table} SET state = 'done', locked_until = NULL, handled_at = now(), last_error = NULL
             WHERE id = $1
           ), head AS (
             SELECT id FROM ${table}
             WHERE ${keyColumn} = (SELECT ${keyColumn} FROM ${table} WHERE id = $1) AND state = 'pending' AND id <> $1
             ORDER BY id LIMIT 1
           )
           UPDATE ${table} t SET locked_until = now() + make_interval(secs => $2), attempts = t.attempts + 1
           FROM head WHERE t.id = head.id AND t.state = 'pending' AND t.next_attempt_at <= now()
             AND (t.locked_until IS NULL OR t.locked_until < now())
           RETURNING t.*`,
          [row.id, leaseSeconds],
        );
        next = result.rows[0];
      } else {
        await this.db.query(
          `UPDATE ${table} SET state = 'done', locked_until = NULL, handled_at = now(), last_error = NULL WHERE id = $1`,
          [row.id],
        );
      }
      this.options.onOutcome?.('done', row, performance.now() - started);
      return next;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const maxAttempts = this.options.backoff.maxAttempts;
      const giveUp =
        err instanceof PermanentError || (maxAttempts !== undefined && row.attempts >= maxAttempts);
      if (giveUp) {
        // A permanent error is a verdict (opted out, window closed), not a fault: reported, not alarming.
        const level = err instanceof PermanentError ? 'info' : 'warn';
        this.log[level](
          { ...this.describe(row), attempts: row.attempts, error: message },
          'giving up on a row',
        );
        try {
          await this.options.onFailed?.(row, err);
        } catch (reportErr) {
          // The failure could not be reported: keep the row pending so it is reported later.
          this.log.error(
            { ...this.describe(row), ...errorInfo(reportErr) },
            'could not report a failure; will retry',
          );
          await this.reschedule(row, message, this.options.backoff.maxMs);
          return;
        }
        await this.db.query(
          `UPDATE ${table} SET state = 'failed', locked_until = NULL, handled_at = now(), last_error = $2 WHERE id = $1`,
          [row.id, message],
        );
        this.options.onOutcome?.('failed', row, performance.now() - started);
      } else {
        const retryAfter = err instanceof RetryableError ? err.retryAfterMs : undefined;
        const delay = backoffDelay(this.options.backoff, row.attempts, retryAfter);
        this.log.info(
          { ...this.describe(row), attempts: row.attempts, delayMs: Math.round(delay), error: message },
          'will retry',
        );
        await this.reschedule(row, message, delay);
        this.options.onOutcome?.('retry', row, performance.now() - started);
        this.options.onRetry?.(err);
      }
    }
  }

  private async reschedule(row: Row, message: string, delayMs: number): Promise<void> {
    await this.db
      .query(
        `UPDATE ${this.options.table} SET locked_until = NULL, last_error = $2,
           next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`,
        [row.id, message, delayMs / 1000],
      )
      .catch((err) =>
        this.log.warn(
          { ...this.describe(row), ...errorInfo(err) },
          'could not reschedule; the lease will expire',
        ),
      );
  }
}
