import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../harness/env.ts';

/** Plays the homeserver: sends transactions straight to the appservice listener. */
describe('appservice transactions', () => {
  let env: TestEnv;
  let db: pg.Pool;

  beforeAll(async () => {
    env = await createTestEnv();
    db = new pg.Pool({ connectionString: env.databaseUrl });
  });
  afterAll(async () => {
    await db?.end();
    await env?.stop();
  });

  const event = (n: number, room = '!nowhere:localhost') => ({
    event_id: `$test-${n}-${env.slot.id}`,
    room_id: room,
    type: 'm.room.message',
    sender: '@someone:localhost',
    origin_server_ts: Date.now(),
    content: { msgtype: 'm.text', body: `message ${n}` },
  });

  const put = (txnId: string, body: unknown, token: string | null = env.registration.hs_token) =>
    fetch(`${env.bridge!.appserviceUrl}/_matrix/app/v1/transactions/${txnId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  const stored = async (ids: string[]) =>
    (await db.query('SELECT event_id FROM matrix_events WHERE event_id = ANY($1)', [ids])).rowCount;

  it('refuses a missing or wrong hs_token and stores nothing', async () => {
    const e = event(1);
    const missing = await put('t-missing', { events: [e] }, null);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ errcode: 'M_UNAUTHORIZED' });
    const wrong = await put('t-wrong', { events: [e] }, 'not-the-token');
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ errcode: 'M_FORBIDDEN' });
    expect(await stored([e.event_id])).toBe(0);
  });

  it('stores the events before acknowledging, once per transaction and per event', async () => {
    const events = [event(2), event(3)];
    const first = await put('t-1', { events });
    expect(first.status).toBe(200);
    // Acknowledged means committed: the rows are there as soon as the response is.
    expect(await stored(events.map((e) => e.event_id))).toBe(2);
    expect((await put('t-1', { events })).status).toBe(200);
    expect((await put('t-2', { events: [events[0]] })).status).toBe(200);
    const rows = await db.query('SELECT count(*)::int AS n FROM matrix_events WHERE event_id = ANY($1)', [
      events.map((e) => e.event_id),
    ]);
    expect(rows.rows[0].n).toBe(2);
    const txns = await db.query(
      "SELECT txn_id FROM as_transactions WHERE txn_id IN ('t-1', 't-2') ORDER BY txn_id",
    );
    expect(txns.rows.map((r) => r.txn_id)).toEqual(['t-1', 't-2']);
  });

  it('stores the events of a transaction ID seen before when they are new (IDs restart with Synapse on SQLite)', async () => {
    const before = event(20);
    expect((await put('t-reused', { events: [before] })).status).toBe(200);
    const after = event(21);
    expect((await put('t-reused', { events: [after] })).status).toBe(200);
    expect(await stored([before.event_id, after.event_id])).toBe(2);
  });

  it('answers 500 (so the homeserver retries) when the database cannot take the transaction', async () => {
    await db.query('ALTER TABLE matrix_events RENAME TO matrix_events_away');
    try {
      const res = await put('t-db-down', { events: [event(4)] });
      expect(res.status).toBe(500);
    } finally {
      await db.query('ALTER TABLE matrix_events_away RENAME TO matrix_events');
    }
    const txn = await db.query("SELECT 1 FROM as_transactions WHERE txn_id = 't-db-down'");
    expect(txn.rowCount).toBe(0);
    expect((await put('t-db-down', { events: [event(4)] })).status).toBe(200);
    expect(await stored([event(4).event_id])).toBe(1);
  });

  it('answers the homeserver ping', async () => {
    const res = await fetch(`${env.bridge!.appserviceUrl}/_matrix/app/v1/ping`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.registration.hs_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ transaction_id: 'x' }),
    });
    expect(res.status).toBe(200);
  });
});
