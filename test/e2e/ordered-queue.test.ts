import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { PermanentError, RetryableError } from '../../bridge/queue/errors.ts';
import {
  OrderedQueue,
  backoffDelay,
  type OrderedQueueOptions,
  type QueueRow,
} from '../../bridge/queue/ordered-queue.ts';
import { Database } from '../../bridge/store/db.ts';
import { createDatabase } from '../harness/postgres.ts';

const harness = inject('livechatHarness');

interface Job extends QueueRow {
  key: string;
  n: number;
}

describe('ordered queue', () => {
  let db: Database;
  const queues: OrderedQueue<Job>[] = [];

  beforeAll(async () => {
    db = new Database(
      await createDatabase(harness.postgres.adminUrl, `${harness.runId}_queue_${process.pid}`),
      10,
    );
    await db.query(`CREATE TABLE jobs (
      id bigserial PRIMARY KEY, key text NOT NULL, n int NOT NULL,
      state text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(), locked_until timestamptz,
      last_error text, handled_at timestamptz)`);
  });
  beforeEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.stop()));
    await db.query('TRUNCATE jobs');
  });
  afterAll(async () => {
    await Promise.all(queues.map((q) => q.stop()));
    await db?.close();
  });

  const queue = (handle: (job: Job) => Promise<void>, extra: Partial<OrderedQueueOptions<Job>> = {}) => {
    const q = new OrderedQueue<Job>(db, {
      name: 'test',
      table: 'jobs',
      keyColumn: 'key',
      concurrency: 4,
      leaseSeconds: 30,
      pollMs: 50,
      backoff: { baseMs: 20, maxMs: 100 },
      handle,
      ...extra,
    });
    queues.push(q);
    return q;
  };
  const add = async (key: string, count: number) => {
    for (let n = 1; n <= count; n++) await db.query('INSERT INTO jobs (key, n) VALUES ($1, $2)', [key, n]);
  };
  const settled = async () => {
    for (let i = 0; i < 400; i++) {
      const left = await db.query("SELECT 1 FROM jobs WHERE state = 'pending'");
      if (left.rowCount === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('jobs still pending');
  };

  it('keeps order per key through retries while other keys go on', async () => {
    await add('a', 5);
    await add('b', 5);
    const seen: string[] = [];
    let failures = 0;
    queue(async (job) => {
      if (job.key === 'a' && job.n === 2 && failures < 3) {
        failures++;
        throw new RetryableError('provider busy');
      }
      seen.push(`${job.key}${job.n}`);
    }).start();
    await settled();
    expect(seen.filter((s) => s.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(seen.filter((s) => s.startsWith('b'))).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    // b finished while a was held back by its retries.
    expect(seen.indexOf('b5')).toBeLessThan(seen.indexOf('a3'));
    const a2 = await db.query("SELECT attempts, state FROM jobs WHERE key = 'a' AND n = 2");
    expect(a2.rows[0]).toEqual({ attempts: 4, state: 'done' });
  });

  it('fails a permanent error at once, reports it, and moves on', async () => {
    await add('k', 3);
    const failed: number[] = [];
    const done: number[] = [];
    queue(
      async (job) => {
        if (job.n === 2) throw new PermanentError('opted out', { code: '21610' });
        done.push(job.n);
      },
      { onFailed: async (job) => void failed.push(job.n) },
    ).start();
    await settled();
    expect(done).toEqual([1, 3]);
    expect(failed).toEqual([2]);
    const row = await db.query('SELECT state, attempts, last_error FROM jobs WHERE n = 2');
    expect(row.rows[0]).toEqual({ state: 'failed', attempts: 1, last_error: 'opted out' });
  });

  it('gives up after maxAttempts', async () => {
    await add('k', 1);
    const failed: unknown[] = [];
    queue(
      async () => {
        throw new Error('still down');
      },
      {
        backoff: { baseMs: 5, maxMs: 10, maxAttempts: 3 },
        onFailed: async (_job, err) => void failed.push(err),
      },
    ).start();
    await settled();
    expect(failed).toHaveLength(1);
    expect((await db.query('SELECT attempts, state FROM jobs')).rows[0]).toEqual({
      attempts: 3,
      state: 'failed',
    });
  });

  it('honours Retry-After over a shorter backoff', async () => {
    await add('k', 1);
    let calls = 0;
    queue(async () => {
      calls++;
      throw new RetryableError('429', { retryAfterMs: 60_000 });
    }).start();
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(1);
    const { rows } = await db.query('SELECT extract(epoch FROM next_attempt_at - now()) AS wait FROM jobs');
    expect(Number(rows[0]?.wait)).toBeGreaterThan(55);
  });

  it('shares work between processes: every job exactly once', async () => {
    for (let k = 0; k < 20; k++) await add(`key${k}`, 10);
    const counts = new Map<string, number>();
    const handle = async (job: Job) => {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      counts.set(job.id, (counts.get(job.id) ?? 0) + 1);
    };
    const first = new Database(db.url, 5);
    const second = new Database(db.url, 5);
    try {
      const q1 = new OrderedQueue<Job>(first, { ...optionsFor(handle), name: 'p1' });
      const q2 = new OrderedQueue<Job>(second, { ...optionsFor(handle), name: 'p2' });
      q1.start();
      q2.start();
      await settled();
      await Promise.all([q1.stop(), q2.stop()]);
    } finally {
      await first.close();
      await second.close();
    }
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
  });

  it('takes over work whose lease expired (a process died holding it)', async () => {
    await add('k', 2);
    await db.query("UPDATE jobs SET locked_until = now() - interval '1 second', attempts = 1 WHERE n = 1");
    const seen: number[] = [];
    queue(async (job) => void seen.push(job.n)).start();
    await settled();
    expect(seen).toEqual([1, 2]);
  });

  it('waits for a live lease of another process', async () => {
    await add('k', 1);
    await db.query("UPDATE jobs SET locked_until = now() + interval '1 hour'");
    const seen: number[] = [];
    queue(async (job) => void seen.push(job.n)).start();
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([]);
  });

  it('caps the backoff', () => {
    const b = { baseMs: 1000, maxMs: 30_000 };
    expect(backoffDelay(b, 1)).toBeLessThanOrEqual(1000);
    expect(backoffDelay(b, 1)).toBeGreaterThanOrEqual(500);
    expect(backoffDelay(b, 50)).toBeLessThanOrEqual(30_000);
    expect(backoffDelay(b, 50, 120_000)).toBe(120_000);
  });

  function optionsFor(handle: (job: Job) => Promise<void>): OrderedQueueOptions<Job> {
    return {
      name: 'x',
      table: 'jobs',
      keyColumn: 'key',
      concurrency: 4,
      leaseSeconds: 30,
      pollMs: 20,
      backoff: { baseMs: 10, maxMs: 50 },
      handle,
    };
  }
});
