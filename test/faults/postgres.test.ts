import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pool, postWebhookUntilAccepted, sleep } from '../../bench/load.ts';
import {
  agentSend,
  drained,
  faultEnv,
  printTable,
  roomMessages,
  tally,
  waitFor,
  type FaultEnv,
} from './support.ts';

/*
 * Postgres restarted under load. Webhooks get 5xx while it is down (the carrier retries), Synapse's
 * transactions get 5xx (Synapse backs off; the bridge pings it once the database answers, so the
 * retry comes at once), and every queue resumes on fresh connections.
 */

const MESSAGES = Number(process.env.FAULTS_PG_MESSAGES ?? 400);

describe('Postgres restarted under load', () => {
  let env: FaultEnv;

  beforeAll(async () => {
    env = await faultEnv('postgres', 10);
  });
  let failed = false;
  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await env?.dispose(!failed);
  });

  it(`loses and doubles none of ${MESSAGES} messages each way`, async () => {
    const { stack, target, rooms } = env;
    const inbound = Array.from({ length: MESSAGES }, (_, i) => {
      const room = rooms[i % rooms.length]!;
      return { id: `MO-pg-${i}`, from: room.address, text: `pg in ${i}` };
    });
    const outbound = Array.from({ length: MESSAGES }, (_, i) => ({
      room: rooms[i % rooms.length]!,
      text: `pg out ${i}`,
    }));
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
      Promise.all(
        rooms.map(async (room) => {
          for (const o of outbound.filter((x) => x.room === room)) {
            await agentSend(stack, room.roomId, o.text);
            await sleep(50);
          }
        }),
      ),
      restarts,
    ]);
    const drainMs = await waitFor(
      async () =>
        (await drained(stack)) &&
        stack.phone.messages.filter((m) => m.text?.startsWith('pg out')).length >= MESSAGES,
      300_000,
      'every queue to drain',
    );
    const arrivedIn: string[] = [];
    for (const room of rooms)
      for (const m of await roomMessages(stack, room.roomId))
        if (m.sender === room.ghost) arrivedIn.push(m.body);
    const inTally = tally(
      'customer → room',
      inbound.map((m) => m.text),
      arrivedIn,
    );
    const outTally = tally(
      'agent → customer',
      outbound.map((o) => o.text),
      stack.phone.messages.map((m) => m.text ?? ''),
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
