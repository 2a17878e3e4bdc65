import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRoomEvent } from '../harness/env.ts';
import { createPipelineEnv, rows, type PipelineEnv } from './support/pipeline.ts';

describe('a provider that fails often', () => {
  let p: PipelineEnv;
  let roomId: string;

  beforeAll(async () => {
    p = await createPipelineEnv();
    await p.phone.sendMessage(p.sender.id, { from: '+14155550133', text: 'hi' });
    roomId = await p.joinConversation();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('delivers every agent message exactly once and in order through 5xx, 429, hangs and resets', async () => {
    p.phone.failNext(
      { type: 'http', status: 503, body: 'html' },
      { type: 'reset' },
      { type: 'hang' },
      { type: 'throttle', retryAfterSeconds: 1 },
    );
    p.phone.failRandomly(0.3, [
      { type: 'http', status: 500 },
      { type: 'http', status: 502, body: 'html' },
      { type: 'throttle', retryAfterSeconds: 1 },
      { type: 'throttle' },
    ]);
    // The handover's messages to the customer (welcome, queued, assigned) were sent before.
    const botSent = p.botMessages().length;
    expect(botSent).toBe(3);
    const texts = Array.from({ length: 20 }, (_, i) => `update ${i + 1}`);
    for (const text of texts) await p.agent.sendTextMessage(roomId, text);
    const received = await p.phone.waitForMessages(20, (m) => m.text?.startsWith('update') ?? false, 120_000);
    p.phone.stopFailing();
    expect(received.map((m) => m.text)).toEqual(texts);
    const failures = p.phone.attempts.filter((a) => a.outcome !== 'accepted');
    expect(failures.length).toBeGreaterThanOrEqual(5);
    const throttled = await rows(p, `SELECT count(*)::int AS n FROM outbox WHERE attempts > 1`);
    expect(throttled[0]!.n).toBeGreaterThan(0);
    const metrics = () => fetch(`${p.bridge().appserviceUrl}/metrics`).then((r) => r.text());
    await expect
      .poll(metrics)
      .toMatch(
        new RegExp(
          `livechat_messages_total\\{direction="out",channel="sms",outcome="sent"\\} ${20 + botSent}\\n`,
        ),
      );
    expect(await metrics()).toMatch(
      /livechat_provider_errors_total\{provider="simulator",code="throttled"\} \d+/,
    );
  }, 180_000);

  it('gives up at once on a permanent error, tells the agent, and goes on with the next message', async () => {
    p.phone.failNext({ type: 'reject', code: 'invalid-recipient', message: 'not a mobile number' });
    const doomed = await p.agent.sendTextMessage(roomId, 'this one is refused');
    await p.agent.sendTextMessage(roomId, 'this one goes');
    await p.phone.waitForMessages(1, (m) => m.text === 'this one goes');
    const notice = await waitForRoomEvent(p.agent, {
      roomId,
      sender: p.bridge().botUserId,
      predicate: (e) => e.getContent()['m.relates_to']?.['m.in_reply_to']?.event_id === doomed.event_id,
    });
    expect(notice.getContent()).toMatchObject({
      msgtype: 'm.notice',
      body: 'Not delivered: +1 415 555 0133 is not a number SMS can deliver to: not a mobile number (invalid-recipient).',
    });
    expect(
      await rows(p, 'SELECT state, attempts FROM outbox WHERE event_id = $1', [doomed.event_id]),
    ).toEqual([{ state: 'failed', attempts: 1 }]);
  });
});
