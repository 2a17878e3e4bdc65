import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { CORE_MIGRATIONS } from '../../bridge/start.ts';
import { Database } from '../../bridge/store/db.ts';
import { MigrationError, migrate, readMigrations } from '../../bridge/store/migrate.ts';
import { createDatabase } from '../harness/postgres.ts';

const harness = inject('livechatHarness');
const bot = { component: 'bot', dir: new URL('../../bot/store/migrations/', import.meta.url) };
let counter = 0;

describe('migrations', () => {
  let db: Database;

  beforeEach(async () => {
    const url = await createDatabase(
      harness.postgres.adminUrl,
      `${harness.runId}_migrate_${process.pid}_${counter++}`,
    );
    db = new Database(url, 2);
  });
  afterEach(async () => db?.close());

  const tables = async () =>
    (
      await db.query<{ t: string }>(
        "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
      )
    ).rows.map((r) => r.t);

  it('creates the schema on a fresh database, component by component', async () => {
    const known = (await readMigrations(CORE_MIGRATIONS.dir)).length;
    const versions = await migrate(db, [CORE_MIGRATIONS, bot]);
    expect(versions.bridge).toBe(known);
    expect(versions.bot).toBeGreaterThanOrEqual(1);
    expect(await tables()).toEqual(
      expect.arrayContaining([
        'spaces',
        'senders',
        'contacts',
        'conversations',
        'matrix_events',
        'agents',
        'schema_versions',
      ]),
    );
    const columns = await db.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'spaces'",
    );
    expect(columns.rows.map((r) => r.column_name)).toContain('control_room_id');
  });

  it('does nothing when run again', async () => {
    await migrate(db, [CORE_MIGRATIONS, bot]);
    const before = await db.query(
      'SELECT component, version, updated_at FROM schema_versions ORDER BY component',
    );
    await migrate(db, [CORE_MIGRATIONS, bot]);
    const after = await db.query(
      'SELECT component, version, updated_at FROM schema_versions ORDER BY component',
    );
    expect(after.rows).toEqual(before.rows);
  });

  it('refuses a database newer than it knows, and changes nothing', async () => {
    await migrate(db, [CORE_MIGRATIONS]);
    await db.query("UPDATE schema_versions SET version = 999 WHERE component = 'bridge'");
    await expect(migrate(db, [CORE_MIGRATIONS, bot])).rejects.toThrow(
      /schema of "bridge" is at version 999, newer than this release knows/,
    );
    expect(await tables()).not.toContain('agents');
  });

  it('rolls a failed migration back whole and keeps the version before it', async () => {
    const bad = { component: 'widgets', dir: new URL('./fixtures/migrations-bad/', import.meta.url) };
    const error = await migrate(db, [bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(
      /widgets 002_gadgets failed and was rolled back: function no_such_function\(\) does not exist/,
    );
    expect(await tables()).toContain('widgets');
    expect(await tables()).not.toContain('gadgets');
    const version = await db.query("SELECT version FROM schema_versions WHERE component = 'widgets'");
    expect(version.rows[0]?.version).toBe(1);
  });

  it('refuses a gap in the numbering', async () => {
    const gap = { component: 'gap', dir: new URL('./fixtures/migrations-gap/', import.meta.url) };
    await expect(migrate(db, [gap])).rejects.toThrow(/003_third.sql: expected version 2/);
  });

  it('lets concurrent bridges start: one migrates, the others wait', async () => {
    const other = new Database(db.url, 2);
    try {
      const [a, b] = await Promise.all([
        migrate(db, [CORE_MIGRATIONS, bot]),
        migrate(other, [CORE_MIGRATIONS, bot]),
      ]);
      expect(a).toEqual(b);
    } finally {
      await other.close();
    }
  });
});
