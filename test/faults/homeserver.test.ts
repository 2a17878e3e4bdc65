import { describe, expect, it } from 'vitest';
import { openLoop, sleep } from '../../bench/load.ts';
import { postWebhookUntilAccepted } from '../../bench/load.ts';
import { agentSend, count, drained, useFaultEnv, waitFor } from './support.ts';
import { printTable, tallyAtPhone, tallyInRooms } from './tally.ts';

/*
 * Outages between the bridge and its homeserver, both ways:
 * - Synapse stopped for a minute while customers write: the carrier is still acknowledged (only
 *   Postgres is needed), and once Synapse answers, the bridge notices within seconds (its retry
 *   backoff has grown to 15 s by then) and posts the backlog, each message once;
 * - the bridge down while agents write: Synapse backs off its transactions (2, 4, 8… s up to
 *   8.5 min); the bridge's appservice ping at start-up makes it retry at once.
 */

const OUTAGE_SECONDS = Number(process.env.FAULTS_OUTAGE_SECONDS ?? 60);
const RATE = 5;

describe('homeserver outages', () => {
  const env = useFaultEnv('homeserver', 5);

  it(`keeps what customers send during a ${OUTAGE_SECONDS}s Synapse outage and resumes within 5 s`, async () => {
    const { stack, target, rooms } = env();
    await stack.synapse.stop();
    const stoppedAt = Date.now();
    const sent: string[] = [];
    await openLoop(RATE, OUTAGE_SECONDS * RATE, async (i) => {
      const room = rooms[i % rooms.length]!;
      const text = `outage ${i}`;
      await postWebhookUntilAccepted(target, { id: `MO-outage-${i}`, from: room.address, text });
      sent.push(text);
    });
    const acknowledgedDuringOutage = sent.length;
    await sleep(Math.max(0, stoppedAt + OUTAGE_SECONDS * 1000 - Date.now()));
    expect(await count(stack, `SELECT count(*) FROM inbox WHERE state = 'pending'`)).toBe(
      acknowledgedDuringOutage,
    );

    await stack.synapse.start();
    const upAt = Date.now();
    const firstMs = await waitFor(
      async () =>
        (await count(
          stack,
          `SELECT count(*) FROM inbox WHERE state = 'done' AND handled_at > to_timestamp($1 / 1000.0)`,
          [upAt],
        )) > 0,
      60_000,
      'the first message of the backlog',
    );
    const drainMs = await waitFor(() => drained(stack), 300_000, 'the backlog');
    const t = await tallyInRooms(env(), sent);
    printTable(`Synapse stopped for ${OUTAGE_SECONDS} s while customers wrote ${sent.length} messages`, [
      {
        ...t,
        'acknowledged during the outage': acknowledgedDuringOutage,
        'first posted after Synapse was up (ms)': firstMs,
        'backlog drained after (ms)': drainMs,
      },
    ]);
    expect(t).toMatchObject({ lost: 0, duplicated: 0 });
    expect(firstMs).toBeLessThanOrEqual(5000);
  });

  it('delivers what agents wrote while the bridge was down as soon as it is back', async () => {
    const { stack, rooms } = env();
    await stack.bridge.kill();
    const sent: string[] = [];
    // A first message makes Synapse fail a transaction and back off; 40 s later its next retry is
    // up to 32 s away.
    for (const room of rooms) {
      const text = `while down ${room.address}`;
      await agentSend(stack, room.roomId, text);
      sent.push(text);
    }
    await sleep(40_000);
    for (let i = 0; i < 20; i++) {
      const text = `while down later ${i}`;
      await agentSend(stack, rooms[i % rooms.length]!.roomId, text);
      sent.push(text);
    }
    await stack.bridge.start();
    const readyAt = Date.now();
    const deliveredMs = await waitFor(
      async () => sent.every((text) => stack.phone.messages.some((m) => m.text === text)),
      120_000,
      'the agents’ messages at the phone',
    );
    const t = tallyAtPhone(env(), sent);
    printTable('Bridge down 40 s while agents wrote', [
      {
        ...t,
        'delivered after the bridge was ready (ms)': deliveredMs,
        ready: new Date(readyAt).toISOString(),
      },
    ]);
    expect(t).toMatchObject({ lost: 0, duplicated: 0 });
    expect(deliveredMs).toBeLessThanOrEqual(5000);
  });
});
