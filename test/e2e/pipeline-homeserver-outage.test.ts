import type { MatrixClient } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRoomEvent } from '../harness/env.ts';
import { createPipelineEnv, rows, type PipelineEnv } from './support/pipeline.ts';

/** Every ghost message body in the room, oldest first, read from the server (not a client cache). */
async function roomBodies(client: MatrixClient, roomId: string, sender: string): Promise<string[]> {
  const bodies: string[] = [];
  let from: string | null = null;
  for (let page = 0; page < 20; page++) {
    const res = await client.createMessagesRequest(roomId, from, 100, 'b' as never);
    for (const e of res.chunk)
      if (e.type === 'm.room.message' && e.sender === sender) bodies.push(e.content.body as string);
    if (!res.end || res.chunk.length === 0) break;
    from = res.end;
  }
  return bodies.reverse();
}

describe('the homeserver down while customers write', () => {
  let p: PipelineEnv;

  beforeAll(async () => {
    p = await createPipelineEnv({ privateHomeserver: true });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('keeps 200 messages that arrive while Synapse is stopped and posts each once, in order', async () => {
    const from = '+14155550122';
    await p.phone.sendMessage(p.sender.id, { from, text: 'before' });
    const roomId = await p.joinConversation();
    const first = await waitForRoomEvent(p.agent, {
      roomId,
      predicate: (e) => e.getContent().body === 'before',
    });
    const ghost = first.getSender()!;

    await p.env.synapse.stop();
    // The carrier gets its acknowledgements: they need Postgres only.
    for (let i = 1; i <= 200; i++) await p.phone.sendMessage(p.sender.id, { from, text: `message ${i}` }, 1);
    expect(
      await rows(p, `SELECT count(*)::int AS n FROM inbox WHERE state = 'pending' AND contact_address = $1`, [
        from,
      ]),
    ).toEqual([{ n: 200 }]);
    await p.env.synapse.start();

    const expected = ['before', ...Array.from({ length: 200 }, (_, i) => `message ${i + 1}`)];
    await expect
      .poll(async () => (await rows(p, `SELECT count(*)::int AS n FROM inbox WHERE state = 'pending'`))[0], {
        timeout: 120_000,
        interval: 500,
      })
      .toEqual({ n: 0 });
    expect(await roomBodies(p.agent, roomId, ghost)).toEqual(expected);
  }, 240_000);
});
