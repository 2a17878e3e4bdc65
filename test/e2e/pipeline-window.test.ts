import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRoomEvent } from '../harness/env.ts';
import { createPipelineEnv, rows, type PipelineEnv } from './support/pipeline.ts';

describe("WhatsApp's 24-hour customer-care window", () => {
  let p: PipelineEnv;
  let roomId: string;
  let conversationId: string;

  beforeAll(async () => {
    p = await createPipelineEnv({ channel: 'whatsapp' });
    await p.phone.sendMessage(p.sender.id, { from: '+14155550144', profileName: 'Grace', text: 'hello' });
    roomId = await p.joinConversation();
    const [row] = await rows<{ id: string }>(p, 'SELECT id FROM conversations WHERE room_id = $1', [roomId]);
    conversationId = row!.id;
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('sends freely inside the window', async () => {
    await p.agent.sendTextMessage(roomId, 'Within the window');
    await p.phone.waitForMessages(1, (m) => m.text === 'Within the window');
  });

  it("marks the customer's message read (blue ticks) when an agent reads it", async () => {
    const id = await p.phone.sendMessage(p.sender.id, { from: '+14155550144', text: 'read me' });
    const event = await waitForRoomEvent(p.agent, {
      roomId,
      predicate: (e) => e.getContent().body === 'read me',
    });
    await p.agent.sendReadReceipt(event);
    await expect.poll(() => p.phone.reads.map((r) => r.messageId), { timeout: 15_000 }).toContain(id);
  });

  it('refuses a free-form message once the window closed, without calling the provider, and says how to go on', async () => {
    await rows(p, `UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = $1`, [
      conversationId,
    ]);
    const before = p.phone.attempts.length;
    const late = await p.agent.sendTextMessage(roomId, 'Are you still there?');
    const notice = await waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) => e.getContent()['m.relates_to']?.['m.in_reply_to']?.event_id === late.event_id,
    });
    expect(notice.getContent().msgtype).toBe('m.notice');
    expect(notice.getContent().body).toBe(
      'Not sent: +1 415 555 0144 last wrote more than 24 hours ago, and WhatsApp then allows only approved templates. ' +
        'Send one with: !template NAME [parameters…]',
    );
    expect(p.phone.attempts.length).toBe(before);
  });

  it('sends an approved template with !template, shown in the room as the bot', async () => {
    const command = await p.agent.sendTextMessage(roomId, '!template order_update:en_US 4711 "next Monday"');
    const [sent] = await p.phone.waitForMessages(1, (m) => m.template !== undefined);
    expect(sent!.template).toEqual({
      name: 'order_update',
      language: 'en_US',
      parameters: ['4711', 'next Monday'],
    });
    expect(sent!.text).toBeUndefined();
    const copy = await waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) => e.getContent().body === 'Template order_update (en_US): 4711 | next Monday',
    });
    expect(copy.getContent().msgtype).toBe('m.text');
    const reaction = await waitForRoomEvent(p.agent, {
      roomId,
      type: 'm.reaction',
      predicate: (e) => e.getContent()['m.relates_to']?.event_id === command.event_id,
    });
    expect(reaction.getContent()['m.relates_to']?.key).toBe('✅');
    // The command itself never reached the phone.
    expect(p.phone.messages.some((m) => m.text?.includes('template'))).toBe(false);
  });

  it('opens the window again when the customer writes', async () => {
    await p.phone.sendMessage(p.sender.id, { from: '+14155550144', text: 'yes?' });
    await waitForRoomEvent(p.agent, { roomId, predicate: (e) => e.getContent().body === 'yes?' });
    await p.agent.sendTextMessage(roomId, 'Your parcel arrives Monday');
    await p.phone.waitForMessages(1, (m) => m.text === 'Your parcel arrives Monday');
  });
});
