import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineEnv, rows, type PipelineEnv } from './support/pipeline.ts';

/*
 * Synapse can strand an appservice transaction at the end of its recovery (see
 * bridge/matrix/catch-up.ts); pipeline-restart.test.ts meets it by chance. Here the bridge is made
 * to have never received an agent's message (its rows removed, as if the transaction had never
 * come), and the catch-up sweep must find it in the room and send it on.
 */
describe('events the homeserver did not deliver', () => {
  let p: PipelineEnv;
  let roomId: string;
  const from = '+14155550188';
  const texts = () => p.phone.messages.map((m) => m.text);

  beforeAll(async () => {
    p = await createPipelineEnv();
    await p.phone.sendMessage(p.sender.id, { from, text: 'hello' });
    roomId = await p.joinConversation();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('are found in the room by the catch-up sweep and reach the phone', async () => {
    const { event_id: kept } = await p.agent.sendTextMessage(roomId, 'delivered');
    const { event_id: lost } = await p.agent.sendTextMessage(roomId, 'never delivered');
    await p.phone.waitForMessages(1, (m) => m.text === 'never delivered');
    await rows(p, 'DELETE FROM outbox WHERE event_id = $1', [lost]);
    await rows(p, 'DELETE FROM matrix_events WHERE event_id = $1', [lost]);

    // Younger than the grace period: it may still be on its way, so it is left alone.
    expect(await p.bridge().catchUp.sweep()).toBe(0);
    await sleep(10_500);
    expect(await p.bridge().catchUp.sweep()).toBe(1);
    await p.phone.waitForMessages(2, (m) => m.text === 'never delivered');
    expect(texts().filter((t) => t === 'delivered')).toHaveLength(1);
    const stored = await rows<{ event_id: string; state: string }>(
      p,
      'SELECT event_id, state FROM matrix_events WHERE event_id = ANY($1) ORDER BY id',
      [[kept, lost]],
    );
    expect(stored).toEqual([
      { event_id: kept, state: 'done' },
      { event_id: lost, state: 'done' },
    ]);
    // Found once: the next sweep has nothing to add.
    expect(await p.bridge().catchUp.sweep()).toBe(0);
    const metrics = await (await fetch(`${p.bridge().appserviceUrl}/metrics`)).text();
    expect(metrics).toMatch(/^livechat_matrix_events_recovered_total 1$/m);
  }, 60_000);
});
