import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../harness/env.ts';
import { apiClient, type ApiClient } from './client.ts';

describe('provisioning API while the homeserver is down', () => {
  let env: TestEnv;
  let api: ApiClient;

  beforeAll(async () => {
    // This file stops the homeserver, so it gets one of its own.
    env = await createTestEnv({ privateHomeserver: true });
    api = apiClient(env);
  });
  afterAll(async () => env?.stop());

  it('creates no space, renames nothing and deletes nothing when the homeserver fails', async () => {
    const { body: kept } = await api.post('/spaces', { name: 'Kept', seats: 1 });
    await env.synapse.stop();
    try {
      const created = await api.post('/spaces', { name: 'Lost', seats: 1 });
      expect(created.status).toBe(502);
      expect(created.body.errcode).toBe('LC_MATRIX_UNAVAILABLE');
      expect(created.body.error).toMatch(
        /^Creating the Matrix space failed on the homeserver \(.+\); nothing was changed$/,
      );
      const renamed = await api.patch(`/spaces/${kept.id}`, { name: 'Renamed', seats: 2 });
      expect(renamed.status).toBe(502);
      const deleted = await api.delete(`/spaces/${kept.id}`);
      expect(deleted.status).toBe(502);
    } finally {
      await env.synapse.start();
    }
    const rows = await env.bridge!.context.db.query(
      'SELECT name, seat_limit FROM spaces ORDER BY created_at',
    );
    expect(rows.rows).toEqual([{ name: 'Kept', seat_limit: 1 }]);
    // Once the homeserver is back, the same calls work.
    expect((await api.post('/spaces', { name: 'Lost', seats: 1 })).status).toBe(201);
    expect((await api.delete(`/spaces/${kept.id}`)).status).toBe(204);
  });
});
