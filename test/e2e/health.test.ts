import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../harness/env.ts';

describe('health and metrics', () => {
  let env: TestEnv;
  let base: string;

  beforeAll(async () => {
    // This file stops the homeserver, so it gets one of its own.
    env = await createTestEnv({ privateHomeserver: true });
    base = env.bridge!.appserviceUrl;
  });
  afterAll(async () => env?.stop());

  it('is live and ready when the homeserver and database answer', async () => {
    expect((await fetch(`${base}/live`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { startup: 'ok', database: 'ok', homeserver: 'ok', appservice: 'ok' },
    });
  });

  it('serves Prometheus metrics with the livechat_ prefix', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE livechat_appservice_transactions_total counter$/m);
    expect(text).toMatch(/^livechat_process_cpu_seconds_total /m);
    expect(text.split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('livechat_'))).toEqual([]);
  });

  it('is not ready while the homeserver is down', async () => {
    await env.synapse.stop();
    try {
      const res = await fetch(`${base}/ready`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Record<string, string> };
      expect(body.checks.database).toBe('ok');
      expect(body.checks.homeserver).toMatch(/Cannot reach the homeserver/);
    } finally {
      await env.synapse.start();
    }
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });
});

describe('the metrics reference', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => env?.stop());

  it('documents in the README every livechat_ metric the bridge serves', async () => {
    const text = await (await fetch(`${env.bridge!.appserviceUrl}/metrics`)).text();
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const served = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('# TYPE livechat_'))
        .map((l) => l.split(' ')[2]!)
        // Node's own process and runtime metrics are standard; the README says so once.
        .filter((name) => !/^livechat_(process|nodejs)_/.test(name)),
    );
    expect(served.size).toBeGreaterThan(10);
    const missing = [...served].filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
