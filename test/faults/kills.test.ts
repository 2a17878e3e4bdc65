import { describe, expect, it } from 'vitest';
import { pool, postWebhookUntilAccepted, sleep } from '../../bench/load.ts';
import type { Fault } from '../fakes/phone.ts';
import { agentsSend, count, drained, roundRobin, useFaultEnv, waitFor } from './support.ts';
import { printTable, tallyAtPhone, tallyInRooms } from './tally.ts';

/*
 * 2,000 customer messages and 2,000 agent messages flow while the bridge is SIGKILLed again and
 * again (restarted at once, as a supervisor would), the provider fails 20% of sends (5xx, 429,
 * hangs past the timeout, reset connections) and the carrier delivers every webhook three times,
 * two of them at once for a third of the messages. Nothing may be lost or doubled.
 */

const MESSAGES = Number(process.env.FAULTS_MESSAGES ?? 2000);
const CONVERSATIONS = 20;
const MIN_KILLS = 5;
const FAULTS: Fault[] = [
  { type: 'http', status: 500 },
  { type: 'http', status: 503, body: 'html' },
  { type: 'throttle', retryAfterSeconds: 1 },
  { type: 'hang' },
  { type: 'reset' },
];

describe('SIGKILL, a flaky provider and replayed webhooks', () => {
  const env = useFaultEnv('kills', CONVERSATIONS);

  it(`loses and doubles none of ${MESSAGES} inbound and ${MESSAGES} outbound messages`, async () => {
    const { stack, target, rooms } = env();
    stack.phone.failRandomly(0.2, FAULTS, 7);
    const inbound = roundRobin(rooms, MESSAGES, (room, i) => ({
      id: `MO-kill-${i}`,
      from: room.address,
      text: `in ${room.address} ${i}`,
    }));
    const outbound = roundRobin(rooms, MESSAGES, (room, i) => ({ room, text: `out ${i}` }));

    let flowing = true;
    const kills: number[] = [];
    const killer = (async () => {
      while (flowing || kills.length < MIN_KILLS) {
        await sleep(1500 + Math.random() * 3500);
        await stack.bridge.kill();
        kills.push(Date.now());
        await stack.bridge.start(120_000);
      }
    })();

    let deliveries = 0;
    const carrier = pool(inbound, 12, async (m) => {
      if (Number(m.id.split('-')[2]) % 3 === 0) {
        // Two deliveries at once, then a late one.
        await Promise.all([postWebhookUntilAccepted(target, m), postWebhookUntilAccepted(target, m)]);
        await sleep(Math.random() * 500);
        await postWebhookUntilAccepted(target, m);
      } else {
        for (let d = 0; d < 3; d++) await postWebhookUntilAccepted(target, m);
      }
      deliveries += 3;
    });
    await Promise.all([carrier, agentsSend(env(), outbound)]);
    flowing = false;
    await killer;

    stack.phone.stopFailing();
    const drainMs = await waitFor(
      async () => stack.bridge.running && (await drained(stack)),
      600_000,
      'every queue to drain',
    );

    const inTally = await tallyInRooms(
      env(),
      inbound.map((m) => m.text),
      'customer → room (provider ids → Matrix events)',
    );
    const outTally = tallyAtPhone(
      env(),
      outbound.map((o) => o.text),
      'agent → customer (Matrix events → provider sends)',
    );
    // Sends the provider accepted twice for one outbox row: absorbed by its idempotency key.
    const accepted = new Map<string, number>();
    for (const a of stack.phone.attempts)
      if (a.outcome === 'accepted') accepted.set(a.idempotencyKey, (accepted.get(a.idempotencyKey) ?? 0) + 1);
    const resent = [...accepted.values()].filter((n) => n > 1).length;
    const failedRows = await count(
      stack,
      `SELECT (SELECT count(*) FROM inbox WHERE state = 'failed') + (SELECT count(*) FROM outbox WHERE state = 'failed') AS count`,
    );
    printTable(
      `Fault suite: ${kills.length} SIGKILLs, provider failing 20% (${stack.phone.attempts.length} send attempts), ` +
        `${deliveries} webhook deliveries (3 per message), drained ${(drainMs / 1000).toFixed(1)} s after the load`,
      [inTally, outTally].map((t) => ({ ...t })),
    );
    console.log(
      `Provider sends accepted twice for one message (a kill between the provider's answer and the commit), ` +
        `absorbed by the idempotency key: ${resent} of ${accepted.size}. Failed rows: ${failedRows}.`,
    );

    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(inTally).toMatchObject({ lost: 0, duplicated: 0, delivered: MESSAGES });
    expect(outTally).toMatchObject({ lost: 0, duplicated: 0, delivered: MESSAGES });
    expect(failedRows).toBe(0);
  });
});
