import type { MatrixClient, MatrixEvent } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeAddress } from '../../bridge/addresses.ts';
import { createSender, type Sender } from '../../bridge/store/senders.ts';
import { createSpace } from '../../bridge/store/spaces.ts';
import { MetaFake } from '../fakes/meta.ts';
import { TwilioFake } from '../fakes/twilio.ts';
import { createTestEnv, waitForJoin, waitForRoomEvent, type TestEnv } from '../harness/env.ts';

/*
 * Each real provider end to end, through the bridge's own public listener (the webhook router,
 * signatures and all) and its local fake: customer text and image in, agent text and image out,
 * delivery statuses back. Routing is not under test here: the bot invites the agent directly.
 */

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('round trips through the Twilio and Meta fakes', () => {
  let env: TestEnv;
  let twilio: TwilioFake;
  let meta: MetaFake;
  let agent: MatrixClient;
  let agentId: string;
  let publicUrl: string;
  const senders: Record<'sms' | 'twilioWhatsapp' | 'meta', Sender> = {} as never;

  beforeAll(async () => {
    twilio = await TwilioFake.start();
    meta = await MetaFake.start();
    env = await createTestEnv({
      configure: (input) => {
        publicUrl = `http://127.0.0.1:${input.provisioning.port}`;
        return {
          ...input,
          publicUrl,
          providers: {
            timeoutSeconds: 5,
            twilio: { baseUrl: twilio.baseUrl },
            whatsappCloud: { baseUrl: meta.baseUrl, apiVersion: 'v21.0' },
          },
        };
      },
    });
    const user = await env.createUser();
    agentId = user.userId;
    agent = await env.login(user);
    const db = env.bridge!.context.db;
    const space = await createSpace(db, { name: 'Orders' });
    const make = (
      channel: 'sms' | 'whatsapp',
      address: string,
      provider: string,
      credentials: Record<string, unknown>,
    ) =>
      createSender(db, {
        spaceId: space.id,
        channel,
        address: normalizeAddress(address, channel),
        provider,
        credentials,
      });
    senders.sms = await make('sms', '+15005550006', 'twilio', twilio.credentials());
    senders.twilioWhatsapp = await make('whatsapp', '+15005550007', 'twilio', twilio.credentials());
    senders.meta = await make('whatsapp', '+5500112233', 'whatsapp-cloud', meta.credentials());
  });

  afterAll(async () => {
    await env?.stop();
    await twilio?.stop();
    await meta?.stop();
  });

  const webhookUrl = (sender: Sender) =>
    `${publicUrl}${env.bridge!.context.providers.get(sender.provider).webhookPath(sender)}`;

  /** The conversation room of the customer's first message, with the agent brought in. */
  async function conversationRoom(sender: Sender): Promise<string> {
    const db = env.bridge!.context.db;
    for (let i = 0; i < 200; i++) {
      const found = await db.query<{ room_id: string | null }>(
        'SELECT room_id FROM conversations WHERE sender_id = $1 AND archived_at IS NULL',
        [sender.id],
      );
      const roomId = found.rows[0]?.room_id;
      if (roomId) {
        const members = await env.bridge!.context.matrix.botIntent.matrixClient.getJoinedRoomMembers(roomId);
        if (!members.includes(agentId)) {
          await env.bridge!.context.matrix.botIntent.invite(roomId, agentId);
          await agent.joinRoom(roomId);
        }
        await waitForJoin(agent, roomId, agentId);
        return roomId;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no conversation room for sender ${sender.id}`);
  }

  const fromGhost = (roomId: string, predicate: (e: MatrixEvent) => boolean) =>
    waitForRoomEvent(agent, {
      roomId,
      type: 'm.room.message',
      predicate: (e) => env.bridge!.context.matrix.isGhost(e.getSender() ?? '') && predicate(e),
    });

  async function agentSendsTextAndImage(roomId: string, text: string): Promise<void> {
    await agent.sendTextMessage(roomId, text);
    const upload = await agent.uploadContent(PNG, { type: 'image/png', name: 'receipt.png' });
    await agent.sendMessage(roomId, {
      msgtype: 'm.image',
      body: 'receipt.png',
      url: upload.content_uri,
      info: { mimetype: 'image/png', size: PNG.length },
    } as never);
  }

  async function outboxStatuses(roomId: string): Promise<string[]> {
    const rows = await env.bridge!.context.db.query<{ status: string | null }>(
      'SELECT status FROM outbox WHERE room_id = $1 AND event_id IS NOT NULL ORDER BY id',
      [roomId],
    );
    return rows.rows.map((r) => r.status ?? 'none');
  }

  async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 150; i++) {
      const value = await check();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('Twilio SMS: text and MMS in, text and image out, statuses back', async () => {
    const sender = senders.sms;
    const url = webhookUrl(sender);
    const first = await twilio.message(url, {
      from: '+14155550100',
      to: sender.address,
      body: 'Where is my order?',
    });
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/xml/);
    expect(first.body).toContain('<Response></Response>');
    await twilio.message(url, {
      from: '+14155550100',
      to: sender.address,
      media: [{ data: PNG, contentType: 'image/png' }],
    });

    const roomId = await conversationRoom(sender);
    expect(
      (await fromGhost(roomId, (e) => e.getContent().body === 'Where is my order?')).getContent().msgtype,
    ).toBe('m.text');
    const image = await fromGhost(roomId, (e) => e.getContent().msgtype === 'm.image');
    expect(image.getContent().info).toMatchObject({ mimetype: 'image/png', size: PNG.length });

    await agentSendsTextAndImage(roomId, 'It ships today.');
    // The bot answers the customer too (no campaign matched): pick the agent's two by content.
    const sent = [
      await until('the agent text at Twilio', async () =>
        twilio.sent.find((m) => m.body === 'It ships today.'),
      ),
      await until('the agent image at Twilio', async () => twilio.sent.find((m) => m.mediaUrls.length > 0)),
    ];
    expect(sent[0]).toMatchObject({
      channel: 'sms',
      to: '+14155550100',
      from: sender.address,
      body: 'It ships today.',
    });
    expect(sent[0]!.statusCallback).toBe(url);
    expect(sent[1]!.mediaUrls).toHaveLength(1);
    const media = await fetch(sent[1]!.mediaUrls[0]!);
    expect(media.status).toBe(200);
    expect(Buffer.from(await media.arrayBuffer()).equals(PNG)).toBe(true);

    for (const message of sent) await twilio.deliver(message.sid);
    await until('delivered statuses', async () => {
      const statuses = await outboxStatuses(roomId);
      return statuses.length === 2 && statuses.every((s) => s === 'delivered') ? statuses : undefined;
    });
  });

  it('Twilio WhatsApp: the profile name names the ghost, and read statuses become read receipts', async () => {
    const sender = senders.twilioWhatsapp;
    await twilio.message(webhookUrl(sender), {
      from: 'whatsapp:+14155550111',
      to: `whatsapp:${sender.address}`,
      profileName: 'Ana',
      body: 'Olá',
    });
    const roomId = await conversationRoom(sender);
    const hello = await fromGhost(roomId, (e) => e.getContent().body === 'Olá');
    const ghost = hello.getSender()!;
    expect((await agent.getProfileInfo(ghost)).displayname).toBe('Ana (+1 415 555 0111)');

    const sentEvent = await agent.sendTextMessage(roomId, 'Hello Ana!');
    const reply = await until('the agent reply at Twilio', async () =>
      twilio.sent.find((m) => m.body === 'Hello Ana!'),
    );
    expect(reply).toMatchObject({ channel: 'whatsapp', to: 'whatsapp:+14155550111' });
    await twilio.deliver(reply.sid);
    // Receipts are not timeline events: watch what the client knows the ghost has read (the
    // receipt may sit on a later event, such as the bot's copy of a message delivered after it).
    await until('the ghost read receipt', async () => {
      const room = agent.getRoom(roomId);
      return room?.hasUserReadEvent(ghost, sentEvent.event_id) ? true : undefined;
    });
  });

  it('Meta Cloud API: handshake, text and image in, text and image out, statuses back', async () => {
    const sender = senders.meta;
    const url = webhookUrl(sender);
    const wrong = await meta.subscribe(url, { verifyToken: 'not-the-token' });
    expect(wrong.status).toBe(403);
    expect(wrong.ok).toBe(false);
    const handshake = await meta.subscribe(url);
    expect(handshake.ok).toBe(true);

    const text = await meta.inbound({ from: '5511987654321', name: 'Bia', text: 'Quero ajuda com o pacote' });
    expect(text.status).toBe(200);
    await meta.inbound({
      from: '5511987654321',
      name: 'Bia',
      media: { kind: 'image', data: PNG, mimeType: 'image/png', caption: 'a foto' },
    });

    const roomId = await conversationRoom(sender);
    await fromGhost(roomId, (e) => e.getContent().body === 'Quero ajuda com o pacote');
    const image = await fromGhost(roomId, (e) => e.getContent().msgtype === 'm.image');
    expect(image.getContent().info).toMatchObject({ mimetype: 'image/png', size: PNG.length });

    await agentSendsTextAndImage(roomId, 'Chega amanhã.');
    const bodyOf = (m: (typeof meta.sent)[number]) => m.body as { text?: { body: string } };
    const sent = [
      await until('the agent text at Meta', async () =>
        meta.sent.find((m) => bodyOf(m).text?.body === 'Chega amanhã.'),
      ),
      await until('the agent image at Meta', async () => meta.sent.find((m) => m.type === 'image')),
    ];
    // Meta takes the recipient as digits without the plus.
    expect(sent[0]).toMatchObject({
      to: '5511987654321',
      type: 'text',
      body: { text: { body: 'Chega amanhã.' } },
    });
    expect(sent[1]).toMatchObject({ type: 'image' });
    const link = (sent[1]!.body as { image: { link: string } }).image.link;
    expect(link.startsWith(`${publicUrl}/media/v1/`)).toBe(true);
    expect(Buffer.from(await (await fetch(link)).arrayBuffer()).equals(PNG)).toBe(true);

    for (const message of sent) await meta.deliver(message.id);
    await until('read statuses', async () => {
      const statuses = await outboxStatuses(roomId);
      return statuses.length === 2 && statuses.every((s) => s === 'read') ? statuses : undefined;
    });
  });

  it('refuses unsigned and forged webhooks with 403 and stores nothing', async () => {
    const db = env.bridge!.context.db;
    const stored = async (id: string) =>
      (await db.query('SELECT 1 FROM inbox WHERE provider_message_id = $1', [id])).rowCount;

    const forged = await twilio.message(
      webhookUrl(senders.sms),
      {
        from: '+14155550199',
        to: senders.sms.address,
        body: 'forged',
        messageSid: 'SMforged000000000000000000000000001',
      },
      { signature: 'bm90LXRoZS1zaWduYXR1cmU=' },
    );
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body)).toMatchObject({ errcode: 'LC_BAD_SIGNATURE' });
    const unsigned = await twilio.message(
      webhookUrl(senders.sms),
      {
        from: '+14155550199',
        to: senders.sms.address,
        body: 'unsigned',
        messageSid: 'SMunsigned00000000000000000000000002',
      },
      { signature: null },
    );
    expect(unsigned.status).toBe(403);
    expect(await stored('SMforged000000000000000000000000001')).toBe(0);
    expect(await stored('SMunsigned00000000000000000000000002')).toBe(0);

    const badMeta = await meta.inbound(
      { from: '5511900000000', id: 'wamid.forged', text: 'forged' },
      { url: webhookUrl(senders.meta), appSecret: 'not-the-app-secret' },
    );
    expect(badMeta.status).toBe(403);
    expect(await stored('wamid.forged')).toBe(0);
  });
});
