import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRoomEvent } from '../harness/env.ts';
import { createPipelineEnv, type PipelineEnv } from './support/pipeline.ts';

describe('what agents write that must not, or cannot, reach the customer', () => {
  let p: PipelineEnv;
  let roomId: string;
  let customerEvent: string;

  beforeAll(async () => {
    p = await createPipelineEnv();
    await p.phone.sendMessage(p.sender.id, { from: '+14155550166', text: 'Where is my parcel?' });
    roomId = await p.joinConversation();
    customerEvent = (
      await waitForRoomEvent(p.agent, {
        roomId,
        predicate: (e) => e.getContent().body === 'Where is my parcel?',
      })
    ).getId()!;
  });
  afterAll(async () => {
    await p?.stop();
  });

  const noticeFor = (eventId: string) =>
    waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) => e.getContent()['m.relates_to']?.['m.in_reply_to']?.event_id === eventId,
    });

  it('keeps threads, notices and commands inside Matrix', async () => {
    // What the customer got so far: the handover's live-assistant messages, nothing the agent wrote.
    expect(p.phone.messages.map((m) => m.text)).toEqual([
      'Hello! How can we help you today?',
      'You are being transferred to an agent. You are number 1 in the queue.',
      `You are now chatting with ${p.agentId.slice(1).split(':')[0]}.`,
    ]);
    const before = p.phone.messages.length;
    await p.agent.sendMessage(roomId, {
      msgtype: 'm.text',
      body: 'internal: check the warehouse',
      'm.relates_to': { rel_type: 'm.thread', event_id: customerEvent, is_falling_back: true },
    } as never);
    await p.agent.sendMessage(roomId, { msgtype: 'm.notice', body: 'a notice for colleagues' } as never);
    await p.agent.sendTextMessage(roomId, '!help');
    await p.agent.sendTextMessage(roomId, 'A message for the customer');
    await p.phone.waitForMessages(before + 1);
    const [only] = p.phone.messages.slice(before);
    expect(only!.text).toBe('A message for the customer');
    // The command was answered in Matrix.
    await waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) =>
        (e.getContent().body as string | undefined)?.startsWith('Commands you can use here') ?? false,
    });
    expect(p.phone.messages).toHaveLength(before + 1);
  });

  it('sends formatted messages as plain text, and replies without the quoted original', async () => {
    await p.agent.sendMessage(roomId, {
      msgtype: 'm.text',
      body: '**Good news**: see [tracking](https://example.com/t/1)',
      format: 'org.matrix.custom.html',
      formatted_body:
        '<p><strong>Good news</strong> <a href="https://matrix.to/#/@bob:example.com">Bob</a> shipped it: ' +
        'see <a href="https://example.com/t/1">tracking</a></p><ul><li>box 1</li><li>box 2</li></ul>',
    } as never);
    const [formatted] = await p.phone.waitForMessages(1, (m) => m.text?.includes('Good news') ?? false);
    expect(formatted!.text).toBe(
      'Good news Bob shipped it: see tracking (https://example.com/t/1)\n\n * box 1\n * box 2',
    );

    await p.agent.sendMessage(roomId, {
      msgtype: 'm.text',
      body: '> <@customer:example.com> Where is my parcel?\n\nIt left this morning.',
      'm.relates_to': { 'm.in_reply_to': { event_id: customerEvent } },
    } as never);
    await p.phone.waitForMessages(1, (m) => m.text === 'It left this morning.');

    await p.agent.sendMessage(roomId, { msgtype: 'm.emote', body: 'waves' } as never);
    await p.phone.waitForMessages(1, (m) => m.text === '* waves');
  });

  it('tells the agent that edits and deletions cannot reach the phone', async () => {
    const original = await p.agent.sendTextMessage(roomId, 'Delivery on Tuesday');
    await p.phone.waitForMessages(1, (m) => m.text === 'Delivery on Tuesday');
    const edit = await p.agent.sendMessage(roomId, {
      msgtype: 'm.text',
      body: '* Delivery on Wednesday',
      'm.new_content': { msgtype: 'm.text', body: 'Delivery on Wednesday' },
      'm.relates_to': { rel_type: 'm.replace', event_id: original.event_id },
    } as never);
    expect((await noticeFor(edit.event_id)).getContent().body).toBe(
      'Edits are not sent: the customer already has the first version. Send a new message to correct it.',
    );
    const redaction = await p.agent.redactEvent(roomId, original.event_id);
    expect((await noticeFor(redaction.event_id)).getContent().body).toMatch(/^This message was already sent/);
    expect(p.phone.messages.some((m) => m.text?.includes('Wednesday'))).toBe(false);
  });
});
