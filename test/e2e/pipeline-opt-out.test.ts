import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRoomEvent } from '../harness/env.ts';
import { setSmsReplies } from '../../bridge/store/spaces.ts';
import { createPipelineEnv, rows, type PipelineEnv } from './support/pipeline.ts';

describe('SMS opt-out keywords', () => {
  let p: PipelineEnv;
  let roomId: string;
  const from = '+14155550155';

  beforeAll(async () => {
    p = await createPipelineEnv();
    await p.phone.sendMessage(p.sender.id, { from, text: 'hi' });
    roomId = await p.joinConversation();
  });
  afterAll(async () => {
    await p?.stop();
  });

  const botReplyTo = (eventId: string) =>
    waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) =>
        e.getType() === 'm.room.message' &&
        e.getContent()['m.relates_to']?.['m.in_reply_to']?.event_id === eventId,
    });

  it('shows STOP to agents with a notice, confirms once to the customer, and refuses what agents send next', async () => {
    await p.phone.sendMessage(p.sender.id, { from, text: 'Stop' });
    const stop = await waitForRoomEvent(p.agent, {
      roomId,
      predicate: (e) => e.getContent().body === 'Stop',
    });
    const notice = await botReplyTo(stop.getId()!);
    expect(notice.getContent().body).toBe(
      '+1 415 555 0155 opted out of messages from this number. Nothing will be sent to them until they reply START.',
    );
    const [confirmation] = await p.phone.waitForMessages(1, (m) => m.text?.includes('unsubscribed') ?? false);
    expect(confirmation!.text).toBe(
      'Orders: you are unsubscribed and will receive no more messages from this number. Reply START to subscribe again.',
    );
    // A second STOP changes nothing and sends nothing.
    await p.phone.sendMessage(p.sender.id, { from, text: 'STOP' });
    await waitForRoomEvent(p.agent, { roomId, predicate: (e) => e.getContent().body === 'STOP' });

    const before = p.phone.attempts.length;
    const refused = await p.agent.sendTextMessage(roomId, 'Can I help?');
    const answer = await botReplyTo(refused.event_id);
    expect(answer.getContent()).toMatchObject({
      msgtype: 'm.notice',
      body: 'Not sent: +1 415 555 0155 replied STOP and opted out of messages from this number. They can reply START to receive messages again.',
    });
    expect(p.phone.attempts.length).toBe(before);
    expect(p.phone.messages.filter((m) => m.text?.includes('unsubscribed'))).toHaveLength(1);
  });

  it('refuses !template on SMS with a clear answer', async () => {
    const command = await p.agent.sendTextMessage(roomId, '!template order_update 1');
    const reply = await waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) => e.getContent()['m.relates_to']?.['m.in_reply_to']?.event_id === command.event_id,
    });
    expect(reply.getContent().body).toBe(
      'Templates exist only on WhatsApp; this conversation is SMS: send a normal message instead.',
    );
  });

  it('delivers again after START', async () => {
    await p.phone.sendMessage(p.sender.id, { from, text: 'start' });
    const start = await waitForRoomEvent(p.agent, {
      roomId,
      predicate: (e) => e.getContent().body === 'start',
    });
    expect((await botReplyTo(start.getId()!)).getContent().body).toBe(
      '+1 415 555 0155 opted in again: messages to them are delivered again.',
    );
    await p.phone.waitForMessages(1, (m) => m.text?.includes('subscribed again') ?? false);
    await p.agent.sendTextMessage(roomId, 'Welcome back');
    await p.phone.waitForMessages(1, (m) => m.text === 'Welcome back');
  });

  it("answers HELP with the space's help text and shows the answer in the room", async () => {
    await setSmsReplies(p.bridge().context.db, p.space.id, { help: 'Orders help: call 0800 123 456.' });
    await p.phone.sendMessage(p.sender.id, { from, text: 'HELP' });
    const [help] = await p.phone.waitForMessages(1, (m) => m.text === 'Orders help: call 0800 123 456.');
    expect(help!.to).toBe(from);
    await waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) => e.getContent().body === 'Orders help: call 0800 123 456.',
    });
    const [state] = await rows(p, 'SELECT opted_out, keyword FROM opt_outs');
    expect(state).toEqual({ opted_out: false, keyword: 'start' });
  });
});
