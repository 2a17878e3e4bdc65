import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundEvent } from '../../bridge/messaging/service.ts';
import { waitForRoomEvent } from '../harness/env.ts';
import { createPipelineEnv, type PipelineEnv } from './support/pipeline.ts';

describe('the hooks the bot builds on: onInbound and sendToCustomer', () => {
  let p: PipelineEnv;
  const seen: InboundEvent[] = [];
  let failOnce = true;

  beforeAll(async () => {
    p = await createPipelineEnv();
    const { messaging } = p.bridge().context;
    messaging.onInbound(async (event) => {
      seen.push(event);
      if (event.message.text === 'flaky' && failOnce) {
        failOnce = false;
        throw new Error('the flow engine hiccuped');
      }
      if (event.firstInConversation) {
        await messaging.sendToCustomer(
          event.conversation.id,
          {
            interactive: {
              body: 'Welcome! What do you need?',
              style: 'buttons',
              options: [
                { id: 'track', title: 'Track an order' },
                { id: 'human', title: 'Talk to a person' },
              ],
            },
          },
          { cause: `welcome:${event.conversation.id}` },
        );
      }
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('calls the handler after the ghost posted, and delivers what it sends once, shown in the room', async () => {
    await p.phone.sendMessage(p.sender.id, { from: '+14155550188', text: 'hello' });
    const roomId = await p.joinConversation();
    // SMS has no buttons: the menu goes as numbered text.
    const [welcome] = await p.phone.waitForMessages(1, (m) => m.text?.startsWith('Welcome!') ?? false);
    expect(welcome!.text).toBe('Welcome! What do you need?\n\n1. Track an order\n2. Talk to a person');
    const copy = await waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) => String(e.getContent().body).startsWith('Welcome!'),
    });
    expect(copy.getContent().msgtype).toBe('m.text');
    expect(seen[0]).toMatchObject({ firstInConversation: true, roomId, message: { text: 'hello' } });
    expect(seen[0]!.eventIds).toHaveLength(1);

    // The same cause again sends nothing.
    const again = await p
      .bridge()
      .context.messaging.sendToCustomer(
        seen[0]!.conversation.id,
        { text: 'dup' },
        { cause: `welcome:${seen[0]!.conversation.id}` },
      );
    expect(again.created).toBe(false);

    // A handler that throws retries the message without the ghost posting it twice.
    await p.phone.sendMessage(p.sender.id, { from: '+14155550188', text: 'flaky' });
    await p.phone.sendMessage(p.sender.id, { from: '+14155550188', text: 'after flaky' });
    await expect
      .poll(() => seen.map((e) => e.message.text), { timeout: 20_000 })
      .toEqual(['hello', 'flaky', 'flaky', 'after flaky']);
    expect(seen[1]!.eventIds).toEqual(seen[2]!.eventIds);
    const { chunk } = await p.agent.createMessagesRequest(roomId, null, 50, 'b' as never);
    expect(chunk.filter((e) => e.content.body === 'flaky')).toHaveLength(1);
    expect(p.phone.messages.filter((m) => m.text?.startsWith('Welcome!'))).toHaveLength(1);
  });
});
