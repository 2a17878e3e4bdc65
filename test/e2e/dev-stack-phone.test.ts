import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../dev/stack.ts';
import { closeBrowser, launchBrowser } from '../harness/browser.ts';
import { startClient, waitForInvite, waitForRoomEvent, waitUntil } from '../harness/env.ts';
import { freePort } from '../harness/ports.ts';

/*
 * The first five minutes: the dev stack as `npm run dev` starts it, the phone page in Chromium, and
 * a seeded agent signed in with the printed password. What the customer types on the page reaches
 * the agent's room; the agent's reply shows on the page; ticks travel both ways.
 *
 * A conversation reaches the agent through handover routing: the seeded SMS sender is in live-chat
 * mode and the dev stack brings its agents online (a DM with the bot and !online), so the customer's
 * first message is offered to them (takeConversation).
 */

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('the dev stack, from the phone page to an agent and back', () => {
  let dir: string;
  let stack: DevStack;
  let browser: Browser;
  let page: Page;
  let agent: MatrixClient;
  const joined = new Set<string>();

  async function login(userId: string, password: string): Promise<MatrixClient> {
    const session = await createClient({ baseUrl: stack.urls.homeserver }).loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userId },
      password,
    });
    return startClient(stack.urls.homeserver, {
      userId: session.user_id,
      accessToken: session.access_token,
      deviceId: session.device_id,
    });
  }

  /** The conversation room the customer's first message opened, joined by the agent. */
  async function takeConversation(): Promise<string> {
    const roomId = await waitForInvite(agent, { from: stack.bridge.botUserId, timeoutMs: 30_000 });
    expect(joined.has(roomId)).toBe(false);
    await agent.joinRoom(roomId);
    joined.add(roomId);
    return roomId;
  }

  async function openPhone(senderId: string, from: string, name: string): Promise<void> {
    const query = new URLSearchParams({ sender: senderId, from, name });
    await page.goto(`${stack.urls.phone}/?${query}`);
    await page.waitForSelector('#live:has-text("live")');
  }

  async function type(text: string): Promise<void> {
    await page.fill('#text', text);
    await page.click('#send');
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'livechat-dev-phone-'));
    await chmod(dir, 0o755);
    const ports = {
      synapse: await freePort(),
      appservice: await freePort(),
      public: await freePort(),
      phone: await freePort(),
      email: await freePort(),
    };
    stack = await startDevStack({
      dir,
      ports,
      logging: { level: process.env.LOG_LEVEL ?? 'warn', format: 'json' },
    });
    const alice = stack.credentials.find((c) => c.email === 'alice@example.com')!;
    expect(alice.userId).toBe('@alice:localhost');
    agent = await login(alice.userId, alice.password!);
    browser = await launchBrowser();
    page = await browser.newPage();
  }, 180_000);
  afterAll(async () => {
    agent?.stopClient();
    await closeBrowser(browser);
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('brings a text typed on the page to the agent, and the reply back to the page', async () => {
    const sms = stack.seeded.senders.find((s) => s.channel === 'sms')!;
    expect(sms.mode).toBe('livechat');
    await openPhone(sms.id, '+1 415 555 0123', 'Grace Hopper');
    await type('Where is my order 1234?');

    const roomId = await takeConversation();
    const question = await waitForRoomEvent(agent, {
      roomId,
      type: 'm.room.message',
      predicate: (e) => e.getContent().body === 'Where is my order 1234?',
    });
    expect(question.getSender()).toMatch(/^@_livechat_[0-9a-f]+:localhost$/);
    await waitUntil(
      agent,
      'the room named after the customer',
      () => (agent.getRoom(roomId)?.name.includes('Grace Hopper') ? true : undefined),
      () => `room name ${agent.getRoom(roomId)?.name}`,
    );
    // SMS: one tick once the bridge took it.
    await page.waitForSelector('.msg.mo.state-delivered:has-text("Where is my order 1234?")');

    const reply = await agent.sendTextMessage(roomId, 'It ships **today**.');
    await page.waitForSelector('.msg.mt:has-text("It ships **today**.")', { timeout: 20_000 });
    // The phone had it on screen: the bridge learned it was delivered.
    await expect
      .poll(
        async () =>
          (
            await stack.bridge.context.db.query<{ status: string }>(
              'SELECT status FROM outbox WHERE event_id = $1',
              [reply.event_id],
            )
          ).rows[0]?.status,
        { timeout: 15_000 },
      )
      .toBe('delivered');

    await page.setInputFiles('#file', { name: 'parcel.png', mimeType: 'image/png', buffer: PNG });
    await page.click('#send');
    const image = await waitForRoomEvent(agent, {
      roomId,
      type: 'm.room.message',
      sender: question.getSender()!,
      predicate: (e) => e.getContent().msgtype === 'm.image',
    });
    expect(image.getContent().info).toMatchObject({ mimetype: 'image/png', size: PNG.length });
    const downloaded = await stack.bridge.context.matrix.botIntent.matrixClient.downloadContent(
      image.getContent().url as string,
    );
    expect(Buffer.compare(downloaded.data, PNG)).toBe(0);
  });

  it('shows blue ticks when the agent reads on WhatsApp, and the customer reading as a receipt', async () => {
    // A live-chat WhatsApp number, made through the API like the seeded ones.
    const secret = randomBytes(24).toString('hex');
    const res = await fetch(`${stack.urls.provisioning}/spaces/${stack.seeded.space.id}/senders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.provisioningToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: 'whatsapp',
        address: '+5511987654321',
        provider: 'simulator',
        mode: 'livechat',
        bidirectional: true,
        credentials: { secret },
      }),
    });
    expect(res.status).toBe(201);
    const sender = (await res.json()) as { id: string; address: string };
    stack.phone.addSender(sender.id, secret, { channel: 'whatsapp', address: sender.address });

    await openPhone(sender.id, '+14155550124', 'Linus');
    await type('Hi, is anyone there?');
    const roomId = await takeConversation();
    const hello = await waitForRoomEvent(agent, {
      roomId,
      type: 'm.room.message',
      predicate: (e) => e.getContent().body === 'Hi, is anyone there?',
    });
    const ghost = hello.getSender()!;
    await page.waitForSelector('.msg.mo.state-delivered:has-text("Hi, is anyone there?")');
    await agent.sendReadReceipt(hello);
    await page.waitForSelector('.msg.mo.state-read:has-text("Hi, is anyone there?")', { timeout: 20_000 });

    const answer = await agent.sendTextMessage(roomId, 'Yes, how can I help?');
    await page.waitForSelector('.msg.mt:has-text("Yes, how can I help?")', { timeout: 20_000 });
    // The conversation is open on the page: the customer read it, and the agent sees that (the
    // receipt may sit on a later event, such as the bot's copy of a message delivered after it).
    const room = agent.getRoom(roomId)!;
    await waitUntil(
      agent,
      `${ghost} to have read the answer`,
      () => (room.hasUserReadEvent(ghost, answer.event_id) ? true : undefined),
      () => `read up to ${room.getEventReadUpTo(ghost) ?? 'nothing'}`,
    );
  });
});
