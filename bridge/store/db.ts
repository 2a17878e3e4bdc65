import pg from 'pg';
import { logger } from '../log.ts';

const log = logger('bridge.store');

/** Anything that runs SQL: the pool, or a client inside a transaction. Repositories take this. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** Raised when the database cannot be used; the message names the config key to check. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/** Hides the password of a connection URL so it can be shown in errors and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export class Database implements Queryable {
  readonly pool: pg.Pool;
  readonly url: string;
  private closed = false;

  constructor(url: string, poolSize: number) {
    this.url = url;
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
    // An idle client losing its connection (Postgres restart) must not crash the process. After
    // close(), pool.end() has let go of the clients before their sockets are closed: a database
    // stopped right after (the embedded one) ends them with an error that is no news.
    this.pool.on('error', (err) => {
      if (!this.closed) log.warn({ err: err.message }, 'idle database connection lost');
    });
  }

  /** Fails with a clear message when the database cannot be reached or logged in to. */
  async connect(source: string): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new DatabaseUnavailableError(
        `Cannot connect to the database at ${redactUrl(this.url)} (${source}): ${reason}`,
      );
    }
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // The pool listens for errors of idle clients only: a connection lost while this one is out
    // (Postgres restarted between two statements) is emitted here and, unheard, would end the
    // process. The next statement fails instead, and the transaction is rolled back.
    let lost: Error | undefined;
    const onError = (err: Error) => {
      lost = err;
      log.warn({ err: err.message }, 'database connection lost during a transaction');
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (lost ??= rollbackErr));
      throw err;
    } finally {
      client.removeListener('error', onError);
      // A broken connection is closed, not handed to the next caller.
      client.release(lost);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.end();
  }
}
