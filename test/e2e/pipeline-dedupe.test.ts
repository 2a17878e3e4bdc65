import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRoomEvent } from '../harness/env.ts';
import { createPipelineEnv, rows, type PipelineEnv } from './support/pipeline.ts';

describe('a carrier delivering the same webhook several times', () => {
  let p: PipelineEnv;

  beforeAll(async () => {
    p = await createPipelineEnv();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('posts one Matrix event for a message delivered three times, twice concurrently', async () => {
    const message = { id: 'SM-dup-1', from: '+14155550111', text: 'Only once please' };
    await Promise.all([p.phone.sendMessage(p.sender.id, message), p.phone.sendMessage(p.sender.id, message)]);
    await p.phone.sendMessage(p.sender.id, message);
    const roomId = await p.joinConversation();
    // A later message proves the worker went past the duplicates.
    await p.phone.sendMessage(p.sender.id, { from: '+14155550111', text: 'And this after it' });
    await waitForRoomEvent(p.agent, {
      roomId,
      predicate: (e) => e.getContent().body === 'And this after it',
    });
    const { chunk } = await p.agent.createMessagesRequest(roomId, null, 50, 'b' as never);
    const copies = chunk.filter((e) => e.type === 'm.room.message' && e.content.body === 'Only once please');
    expect(copies).toHaveLength(1);
    expect(
      await rows(p, "SELECT count(*)::int AS n FROM inbox WHERE provider_message_id = 'SM-dup-1'"),
    ).toEqual([{ n: 1 }]);
  });

  it('accepts a redelivered batch without storing anything twice, statuses included', async () => {
    const { messaging } = p.bridge().context;
    const items = [
      {
        kind: 'message' as const,
        providerMessageId: 'SM-batch-1',
        from: { address: '+14155550111', kind: 'e164' as const },
        to: p.sender.address,
        timestamp: new Date(),
        text: 'batch',
      },
      {
        kind: 'status' as const,
        providerMessageId: 'SM-unknown',
        status: 'delivered' as const,
        timestamp: new Date(),
      },
    ];
    const results = await Promise.all([messaging.accept(p.sender, items), messaging.accept(p.sender, items)]);
    expect(results.map((r) => r.messages + r.statuses).sort()).toEqual([0, 2]);
    expect(await messaging.accept(p.sender, items)).toEqual({ messages: 0, statuses: 0 });
  });
});
