import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderRegistry } from '../../../bridge/providers/index.ts';
import { createSimulatorProvider, simulatorSignature } from '../../../bridge/providers/simulator/provider.ts';
import { createTwilioProvider } from '../../../bridge/providers/twilio/provider.ts';
import type { InboundItem } from '../../../bridge/providers/types.ts';
import { createWhatsAppCloudProvider } from '../../../bridge/providers/whatsapp-cloud/provider.ts';
import { close, listen } from '../../../provisioning/server.ts';
import { createWebhookRouter, type WebhookSender } from '../../../provisioning/webhooks.ts';
import { postWebhook } from '../../fakes/http.ts';
import { MetaFake } from '../../fakes/meta.ts';
import { TwilioFake } from '../../fakes/twilio.ts';

const CUSTOMER = '+14155550100';
const BUSINESS = '+14155559999';
const TWILIO_ID = '0f7e3c1a-1111-4c3b-9a51-7d2b1c9e0001';
const META_ID = '0f7e3c1a-2222-4c3b-9a51-7d2b1c9e0002';
const SIM_ID = '0f7e3c1a-3333-4c3b-9a51-7d2b1c9e0003';
const SIM_SECRET = 'a-very-secret-simulator-key';

let twilio: TwilioFake;
let meta: MetaFake;
let base: string;
const servers: Server[] = [];
let accepted: { sender: WebhookSender; items: InboundItem[] }[];
let acceptFails: boolean;
const senders = new Map<string, WebhookSender>();

function registry(): ProviderRegistry {
  return new ProviderRegistry([
    createTwilioProvider({ baseUrl: twilio.baseUrl, timeoutMs: 2000 }),
    createWhatsAppCloudProvider({ baseUrl: meta.baseUrl, apiVersion: 'v21.0', timeoutMs: 2000 }),
    createSimulatorProvider({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 2000 }),
  ]);
}

/** The router in an app of its own, on a real port; publicUrl as the carriers know it. */
async function startApp(publicUrl?: string): Promise<string> {
  const app = express();
  const server = await listen(app, 0, '127.0.0.1');
  servers.push(server);
  const local = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // Mounted once the port is known: the public URL of a router without a proxy is its own address.
  app.use(
    createWebhookRouter({
      publicUrl: publicUrl ?? local,
      providers: registry(),
      lookupSender: async (id) => senders.get(id),
      accept: async (sender, items) => {
        if (acceptFails) throw new Error('database unavailable');
        accepted.push({ sender, items });
      },
    }),
  );
  return local;
}

beforeAll(async () => {
  twilio = await TwilioFake.start();
  meta = await MetaFake.start();
  const common = { spaceId: 'space-1', address: BUSINESS, addressKind: 'e164' as const };
  senders.set(TWILIO_ID, {
    ...common,
    id: TWILIO_ID,
    channel: 'sms',
    provider: 'twilio',
    credentials: twilio.credentials(),
  });
  senders.set(META_ID, {
    ...common,
    id: META_ID,
    channel: 'whatsapp',
    provider: 'whatsapp-cloud',
    credentials: meta.credentials(),
  });
  senders.set(SIM_ID, {
    ...common,
    id: SIM_ID,
    channel: 'sms',
    provider: 'simulator',
    credentials: { secret: SIM_SECRET },
  });
  base = await startApp();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => close(s)));
  await twilio.stop();
  await meta.stop();
});
beforeEach(() => {
  accepted = [];
  acceptFails = false;
  twilio.reset();
  meta.reset();
});

const twilioUrl = () => `${base}/webhooks/twilio/${TWILIO_ID}`;
const metaUrl = () => `${base}/webhooks/whatsapp/${META_ID}`;

describe('webhook router', () => {
  it('accepts a Twilio message once and answers with empty TwiML', async () => {
    const result = await twilio.message(twilioUrl(), { from: CUSTOMER, to: BUSINESS, body: 'Hello' });
    expect(result.status).toBe(200);
    expect(result.contentType).toMatch(/^text\/xml/);
    expect(result.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.sender.id).toBe(TWILIO_ID);
    expect(accepted[0]!.items).toMatchObject([
      { kind: 'message', providerMessageId: result.messageSid, from: { address: CUSTOMER }, text: 'Hello' },
    ]);
  });

  it('accepts Twilio status callbacks at the same URL', async () => {
    await twilio.statusCallback(`SM${'5'.repeat(32)}`, 'delivered', { url: twilioUrl() });
    expect(accepted[0]!.items).toMatchObject([
      { kind: 'status', status: 'delivered', providerMessageId: `SM${'5'.repeat(32)}` },
    ]);
  });

  it('answers the Meta handshake and accepts a batched payload in one call', async () => {
    expect((await meta.subscribe(metaUrl(), { verifyToken: 'wrong-token' })).ok).toBe(false);
    const handshake = await meta.subscribe(metaUrl());
    expect(handshake).toMatchObject({ ok: true, status: 200 });
    expect(handshake.contentType).toMatch(/^text\/plain/);
    const result = await meta.inbound(
      [
        { from: CUSTOMER, text: 'one' },
        { from: CUSTOMER, text: 'two' },
      ],
      { batch: 'entries' },
    );
    expect(result.status).toBe(200);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.items.map((i) => i.providerMessageId)).toEqual(result.ids);
  });

  it('acknowledges without accepting when nothing in a payload is for this sender', async () => {
    const value = {
      ...meta.messagesValue([{ from: CUSTOMER, text: 'x' }]),
      metadata: { phone_number_id: '42' },
    };
    const result = await meta.post(
      { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value }] }] },
      { url: metaUrl() },
    );
    expect(result.status).toBe(200);
    expect(accepted).toHaveLength(0);
  });

  it('accepts simulator webhooks', async () => {
    const body = JSON.stringify({ messages: [{ id: 'sim-1', from: CUSTOMER, text: 'hi' }] });
    const result = await postWebhook(`${base}/webhooks/simulator/${SIM_ID}`, body, {
      'content-type': 'application/json',
      'x-simulator-signature': simulatorSignature(SIM_SECRET, body),
    });
    expect(result.status).toBe(200);
    expect(accepted[0]!.items).toMatchObject([{ providerMessageId: 'sim-1', text: 'hi' }]);
  });

  it('answers 404 for an unknown sender, another provider, or an unknown provider', async () => {
    const unknown = await twilio.message(`${base}/webhooks/twilio/0f7e3c1a-9999-4c3b-9a51-7d2b1c9e0009`, {
      from: CUSTOMER,
      to: BUSINESS,
      body: 'x',
    });
    const other = await twilio.message(`${base}/webhooks/whatsapp/${TWILIO_ID}`, {
      from: CUSTOMER,
      to: BUSINESS,
      body: 'x',
    });
    const wrongKind = await twilio.message(`${base}/webhooks/twilio/${META_ID}`, {
      from: CUSTOMER,
      to: BUSINESS,
      body: 'x',
    });
    const provider = await twilio.message(`${base}/webhooks/smpp/${TWILIO_ID}`, {
      from: CUSTOMER,
      to: BUSINESS,
      body: 'x',
    });
    for (const result of [unknown, other, wrongKind, provider]) {
      expect(result.status).toBe(404);
      expect(JSON.parse(result.body)).toMatchObject({ errcode: 'LC_NOT_FOUND' });
    }
    expect(accepted).toHaveLength(0);
  });

  it('answers 403 and accepts nothing on a bad or missing signature', async () => {
    const forged = await twilio.message(
      twilioUrl(),
      { from: CUSTOMER, to: BUSINESS, body: 'x' },
      { authToken: 'f'.repeat(32) },
    );
    const unsigned = await meta.inbound({ from: CUSTOMER, text: 'x' }, { url: metaUrl(), signature: null });
    for (const result of [forged, unsigned]) {
      expect(result.status).toBe(403);
      expect(JSON.parse(result.body)).toEqual({
        errcode: 'LC_BAD_SIGNATURE',
        error: 'The webhook signature is missing or does not match',
      });
    }
    expect(accepted).toHaveLength(0);
  });

  it('answers 400 naming the field of a signed but malformed webhook', async () => {
    const result = await twilio.inbound(twilioUrl(), { From: CUSTOMER, To: BUSINESS, Body: 'no sid' });
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body)).toEqual({ errcode: 'LC_BAD_REQUEST', error: 'MessageSid: missing' });
    expect(accepted).toHaveLength(0);
  });

  it('answers 413 to a body over 1 MB', async () => {
    const result = await twilio.inbound(twilioUrl(), {
      MessageSid: `SM${'6'.repeat(32)}`,
      From: CUSTOMER,
      To: BUSINESS,
      Body: 'x'.repeat(1_100_000),
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ errcode: 'LC_TOO_LARGE' });
    expect(accepted).toHaveLength(0);
  });

  it('answers 500 when the items cannot be stored, so the carrier retries', async () => {
    acceptFails = true;
    const params = twilio.messageParams({ from: CUSTOMER, to: BUSINESS, body: 'keep me' });
    const failed = await twilio.inbound(twilioUrl(), params);
    expect(failed.status).toBe(500);
    expect(failed.contentType).toMatch(/json/);
    expect(accepted).toHaveLength(0);
    acceptFails = false;
    const retried = await twilio.inbound(twilioUrl(), params);
    expect(retried.status).toBe(200);
    expect(accepted[0]!.items[0]!.providerMessageId).toBe(params.MessageSid);
  });

  it('refuses GET for providers without a handshake', async () => {
    const result = await postWebhook(twilioUrl(), '', {}, 'GET');
    expect(result.status).toBe(405);
    expect(JSON.parse(result.body)).toMatchObject({ errcode: 'LC_METHOD_NOT_ALLOWED' });
  });

  it('checks signatures against the public URL, not the one a proxy forwarded to', async () => {
    const local = await startApp('https://bridge.example.com');
    const url = `${local}/webhooks/twilio/${TWILIO_ID}?region=eu`;
    const publicUrl = `https://bridge.example.com/webhooks/twilio/${TWILIO_ID}?region=eu`;
    const ok = await twilio.message(
      url,
      { from: CUSTOMER, to: BUSINESS, body: 'via proxy' },
      { signedUrl: publicUrl },
    );
    expect(ok.status).toBe(200);
    const internal = await twilio.message(url, {
      from: CUSTOMER,
      to: BUSINESS,
      body: 'signed for the wrong URL',
    });
    expect(internal.status).toBe(403);
    expect(accepted).toHaveLength(1);
  });
});
