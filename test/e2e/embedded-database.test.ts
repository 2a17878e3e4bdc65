import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.ts';
import { createTestEnv, type TestEnv } from '../harness/env.ts';

describe('without database.url', () => {
  let env: TestEnv;
  let dataDir: string;

  beforeAll(async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'livechat-embedded-'));
    // As root, Postgres runs as the postgres system user, which must be able to enter the parent.
    await chmod(parent, 0o755);
    dataDir = path.join(parent, 'postgres');
    const port = await freePort();
    env = await createTestEnv({
      configure: (input) => ({ ...input, database: { embedded: { dataDir, port } } }),
    });
  });
  afterAll(async () => env?.stop());

  it('runs its own Postgres, migrated and ready', async () => {
    expect(env.config.database.url).toBeUndefined();
    const ready = await fetch(`${env.bridge!.appserviceUrl}/ready`);
    expect(await ready.json()).toMatchObject({ checks: { database: 'ok' } });
    const versions = await env.bridge!.context.db.query('SELECT component FROM schema_versions ORDER BY 1');
    expect(versions.rows.map((r) => r.component)).toEqual(['bot', 'bridge', 'provisioning']);
  });

  it('keeps the data across a restart, and stops its Postgres with the bridge', async () => {
    await env.bridge!.context.db.query(`INSERT INTO spaces (name) VALUES ('Orders')`);
    const { port } = env.config.database.embedded;
    await env.restartBridge();
    const rows = await env.bridge!.context.db.query('SELECT name FROM spaces');
    expect(rows.rows).toEqual([{ name: 'Orders' }]);
    await env.stopBridge();
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'livechat',
      database: 'livechat',
      connectionTimeoutMillis: 2000,
    });
    await expect(client.connect()).rejects.toThrow(/ECONNREFUSED/);
  });
});
