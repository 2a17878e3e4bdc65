import { describe, expect, it } from 'vitest';
import { pool, postWebhookUntilAccepted, sleep } from '../../bench/load.ts';
import { agentsSend, drained, roundRobin, useFaultEnv, waitFor } from './support.ts';
import { printTable, tallyAtPhone, tallyInRooms } from './tally.ts';

/*
 * Postgres restarted under load. Webhooks get 5xx while it is down (the carrier retries), Synapse's
 * transactions get 5xx (Synapse backs off; the bridge pings it once the database answers, so the
 * retry comes at once), and every queue resumes on fresh connections.
 */

const MESSAGES = Number(process.env.FAULTS_PG_MESSAGES ?? 400);

describe('Postgres restarted under load', () => {
  const env = useFaultEnv('postgres', 10);

  it(`loses and doubles none of ${MESSAGES} messages each way`, async () => {
    const { stack, target, rooms } = env();
    const inbound = roundRobin(rooms, MESSAGES, (room, i) => ({
      id: `MO-pg-${i}`,
      from: room.address,
      text: `pg in ${i}`,
    }));
    const outbound = roundRobin(rooms, MESSAGES, (room, i) => ({ room, text: `pg out ${i}` }));
    let restartedAt = 0;
    const restarts = (async () => {
      for (let r = 0; r < 2; r++) {
        await sleep(3000 + Math.random() * 3000);
        await stack.postgres.restart!();
        restartedAt = Date.now();
      }
    })();
    await Promise.all([
      pool(inbound, 8, async (m) => {
        await postWebhookUntilAccepted(target, m);
        await sleep(20);
      }),
      agentsSend(env(), outbound, 50),
      restarts,
    ]);
    const drainMs = await waitFor(
      async () =>
        (await drained(stack)) &&
        stack.phone.messages.filter((m) => m.text?.startsWith('pg out')).length >= MESSAGES,
      300_000,
      'every queue to drain',
    );
    const inTally = await tallyInRooms(
      env(),
      inbound.map((m) => m.text),
    );
    const outTally = tallyAtPhone(
      env(),
      outbound.map((o) => o.text),
    );
    printTable(
      `Postgres restarted twice under load; drained ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the last restart (${drainMs} ms after the load ended)`,
      [inTally, outTally].map((t) => ({ ...t })),
    );
    expect(stack.bridge.running).toBe(true);
    expect(inTally).toMatchObject({ lost: 0, duplicated: 0 });
    expect(outTally).toMatchObject({ lost: 0, duplicated: 0 });
  });
});
