import type { MatrixClient } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRoomEvent } from '../harness/env.ts';
import { createPipelineEnv, rows, type PipelineEnv } from './support/pipeline.ts';

async function bodiesFrom(client: MatrixClient, roomId: string, sender: string): Promise<string[]> {
  const res = await client.createMessagesRequest(roomId, null, 500, 'b' as never);
  return res.chunk
    .filter((e) => e.type === 'm.room.message' && e.sender === sender)
    .map((e) => e.content.body as string)
    .reverse();
}

describe('the bridge restarted while messages flow both ways', () => {
  let p: PipelineEnv;

  beforeAll(async () => {
    p = await createPipelineEnv();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('loses and doubles nothing', async () => {
    const from = '+14155550177';
    await p.phone.sendMessage(p.sender.id, { from, text: 'in 0' });
    const roomId = await p.joinConversation();
    const ghost = (
      await waitForRoomEvent(p.agent, { roomId, predicate: (e) => e.getContent().body === 'in 0' })
    ).getSender()!;

    const inbound = (async () => {
      for (let i = 1; i <= 30; i++) await p.phone.sendMessage(p.sender.id, { from, text: `in ${i}` }, 100);
    })();
    const outbound = (async () => {
      for (let i = 1; i <= 30; i++) await p.agent.sendTextMessage(roomId, `out ${i}`);
    })();
    await p.phone.waitForMessages(3, (m) => m.text?.startsWith('out') ?? false);
    await p.env.restartBridge();
    await Promise.all([inbound, outbound]);

    const outTexts = Array.from({ length: 30 }, (_, i) => `out ${i + 1}`);
    const received = await p.phone.waitForMessages(30, (m) => m.text?.startsWith('out') ?? false, 120_000);
    // Each exactly once. Not necessarily in order: an event Synapse strands at the end of its
    // recovery from the restart reaches the bridge through the catch-up sweep, after later ones.
    const byNumber = (a: string, b: string) => Number(a.split(' ')[1]) - Number(b.split(' ')[1]);
    expect(received.map((m) => m.text!).sort(byNumber)).toEqual(outTexts);
    // Each message was accepted by the carrier once: no send was repeated across the restart.
    const accepted = p.phone.attempts.filter((a) => a.outcome === 'accepted').map((a) => a.idempotencyKey);
    expect(new Set(accepted).size).toBe(accepted.length);

    await expect
      .poll(async () => (await rows(p, `SELECT count(*)::int AS n FROM inbox WHERE state = 'pending'`))[0], {
        timeout: 60_000,
      })
      .toEqual({ n: 0 });
    const inTexts = Array.from({ length: 31 }, (_, i) => `in ${i}`);
    expect(await bodiesFrom(p.agent, roomId, ghost)).toEqual(inTexts);
  }, 180_000);
});
