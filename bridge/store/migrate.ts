import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './db.ts';
import { logger } from '../log.ts';

const log = logger('bridge.store.migrate');

/**
 * Each layer (bridge, bot, provisioning) owns its tables and its numbered migrations, so the bridge
 * never learns of flows or seats. Components are migrated in the order given: a later component may
 * reference an earlier one's tables, never the reverse.
 */
export interface MigrationSource {
  component: string;
  dir: URL;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const FILE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;
// Any constant works; it only has to be the same for every bridge process sharing the database.
const LOCK_KEY = 7_424_311;

export async function readMigrations(dir: URL): Promise<Migration[]> {
  const path = fileURLToPath(dir);
  const files = (await readdir(path)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE.exec(file);
    if (!match) throw new MigrationError(`${path}/${file}: migration files are named NNN_name.sql`);
    const version = Number(match[1]);
    const expected = migrations.length + 1;
    if (version !== expected) {
      throw new MigrationError(
        `${path}/${file}: expected version ${expected} (versions start at 1 with no gaps)`,
      );
    }
    migrations.push({ version, name: match[2]!, sql: await readFile(`${path}/${file}`, 'utf8') });
  }
  return migrations;
}

/**
 * Brings every component's schema up to date. Each migration runs in its own transaction together
 * with its version bump, so a failure leaves the previous version intact. Refuses a database whose
 * schema is newer than this release knows (a downgrade would corrupt data).
 */
export async function migrate(db: Database, sources: MigrationSource[]): Promise<Record<string, number>> {
  const client = await db.pool.connect();
  // A connection lost while migrating fails the next statement (and the start) instead of the process.
  const onError = (err: Error) => log.warn({ err: err.message }, 'database connection lost while migrating');
  client.on('error', onError);
  try {
    // Several bridge processes may start together; one migrates, the others wait and then see it done.
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_versions (
      component text PRIMARY KEY,
      version integer NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    const versions: Record<string, number> = {};
    for (const source of sources) {
      const migrations = await readMigrations(source.dir);
      const known = migrations.length;
      const row = await client.query<{ version: number }>(
        'SELECT version FROM schema_versions WHERE component = $1',
        [source.component],
      );
      const current = row.rows[0]?.version ?? 0;
      if (current > known) {
        throw new MigrationError(
          `The database schema of "${source.component}" is at version ${current}, newer than this release knows ` +
            `(${known}). Refusing to start: run a release at least as new as the one that migrated it.`,
        );
      }
      for (const migration of migrations.slice(current)) {
        try {
          await client.query('BEGIN');
          await client.query(migration.sql);
          await client.query(
            `INSERT INTO schema_versions (component, version) VALUES ($1, $2)
             ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
            [source.component, migration.version],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          const reason = err instanceof Error ? err.message : String(err);
          throw new MigrationError(
            `Migration ${source.component} ${String(migration.version).padStart(3, '0')}_${migration.name} failed ` +
              `and was rolled back: ${reason}`,
          );
        }
        log.info(
          { component: source.component, version: migration.version, name: migration.name },
          'migrated',
        );
      }
      versions[source.component] = Math.max(current, known);
    }
    return versions;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.removeListener('error', onError);
    client.release();
  }
}
