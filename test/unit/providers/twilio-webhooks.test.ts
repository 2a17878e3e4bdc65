import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTwilioProvider } from '../../../bridge/providers/twilio/provider.ts';
import type { ProviderError } from '../../../bridge/providers/types.ts';
import {
  WebhookFormatError,
  type InboundMessage,
  type SenderInfo,
  type StatusUpdate,
  type WebhookRequest,
} from '../../../bridge/providers/types.ts';
import { startWebhookCapture, type WebhookCapture } from '../../fakes/capture.ts';
import { formEncode, TwilioFake, twilioSignature } from '../../fakes/twilio.ts';

const CUSTOMER = '+14155550100';
const BUSINESS = '+14155559999';
let twilio: TwilioFake;
let hooks: WebhookCapture;
let sms: SenderInfo;
let whatsapp: SenderInfo;

const provider = () => createTwilioProvider({ baseUrl: twilio.baseUrl, timeoutMs: 2000 });

function withBody(request: WebhookRequest, body: string): WebhookRequest {
  return { ...request, rawBody: Buffer.from(body) };
}

beforeAll(async () => {
  twilio = await TwilioFake.start();
  hooks = await startWebhookCapture();
  const base = {
    spaceId: 'space-1',
    address: BUSINESS,
    addressKind: 'e164' as const,
    credentials: twilio.credentials(),
  };
  sms = { ...base, id: 'sender-sms', channel: 'sms' };
  whatsapp = { ...base, id: 'sender-wa', channel: 'whatsapp' };
});
afterAll(async () => {
  await twilio.stop();
  await hooks.stop();
});
afterEach(() => twilio.reset());

describe('twilio webhooks', () => {
  it('accepts a signature over the URL and every parameter, extra and non-ASCII ones included', async () => {
    await twilio.message(hooks.url, {
      from: CUSTOMER,
      to: BUSINESS,
      body: 'Olá 👋 ça va? 日本',
      extra: { AddOns: '{"status":"successful"}', SomethingNew: 'a+b=c&d' },
    });
    expect(provider().verify(sms, hooks.last())).toBe(true);
  });

  it('signs repeated keys once per value, sorted', async () => {
    const params = {
      MessageSid: `SM${'1'.repeat(32)}`,
      From: CUSTOMER,
      To: BUSINESS,
      Body: 'x',
      Tag: ['b', 'a'],
    };
    await twilio.inbound(hooks.url, params);
    const request = hooks.last();
    expect(request.rawBody.toString()).toContain('Tag=b&Tag=a');
    expect(provider().verify(sms, request)).toBe(true);
  });

  it('rejects a tampered body, another auth token, a missing or stale signature, another URL', async () => {
    await twilio.message(hooks.url, { from: CUSTOMER, to: BUSINESS, body: 'Pay 10' });
    const good = hooks.last();
    const p = provider();
    expect(p.verify(sms, withBody(good, good.rawBody.toString().replace('Pay+10', 'Pay+99')))).toBe(false);
    expect(p.verify(sms, { ...good, headers: { ...good.headers, 'x-twilio-signature': undefined } })).toBe(
      false,
    );
    expect(p.verify(sms, { ...good, url: `${good.url}?x=1` })).toBe(false);
    const other = { ...sms, credentials: { ...twilio.credentials(), authToken: 'e'.repeat(32) } };
    expect(p.verify(other, good)).toBe(false);

    await twilio.message(
      hooks.url,
      { from: CUSTOMER, to: BUSINESS, body: 'x' },
      { authToken: 'd'.repeat(32) },
    );
    expect(p.verify(sms, hooks.last())).toBe(false);
    await twilio.message(hooks.url, { from: CUSTOMER, to: BUSINESS, body: 'x' }, { signature: null });
    expect(p.verify(sms, hooks.last())).toBe(false);
  });

  it('checks the public URL Twilio was given, with or without the default port', async () => {
    const params = twilio.messageParams({ from: CUSTOMER, to: BUSINESS, body: 'hi' });
    const publicUrl = 'https://bridge.example.com/webhooks/twilio/sender-sms';
    const request: WebhookRequest = {
      method: 'POST',
      url: publicUrl,
      headers: {
        'x-twilio-signature': twilioSignature(
          twilio.authToken,
          'https://bridge.example.com:443/webhooks/twilio/sender-sms',
          params,
        ),
      },
      query: {},
      rawBody: Buffer.from(formEncode(params)),
    };
    expect(provider().verify(sms, request)).toBe(true);
    expect(
      provider().verify(sms, { ...request, url: 'http://10.0.0.5:9994/webhooks/twilio/sender-sms' }),
    ).toBe(false);
  });

  it('parses an SMS, normalizing the customer number and keeping short codes as they are', async () => {
    const { messageSid } = await twilio.message(hooks.url, {
      from: '+1 (415) 555-0100',
      to: BUSINESS,
      body: 'Hi there',
    });
    const [item] = provider().parse(sms, hooks.last()) as InboundMessage[];
    expect(item).toMatchObject({
      kind: 'message',
      providerMessageId: messageSid,
      from: { address: CUSTOMER, kind: 'e164' },
      to: BUSINESS,
      text: 'Hi there',
    });
    expect(item!.media).toBeUndefined();
    await twilio.message(hooks.url, { from: '72345', to: BUSINESS, body: 'code' });
    expect(provider().parse(sms, hooks.last())[0]).toMatchObject({
      from: { address: '72345', kind: 'shortcode' },
    });
  });

  it('parses WhatsApp media, locations, buttons, replies and the profile name', async () => {
    await twilio.message(hooks.url, {
      from: `whatsapp:${CUSTOMER}`,
      to: `whatsapp:${BUSINESS}`,
      profileName: 'Ana Souza',
      body: 'two photos',
      media: [
        { url: 'https://api.twilio.com/media/1', contentType: 'image/jpeg' },
        { url: 'https://api.twilio.com/media/2', contentType: 'application/pdf' },
      ],
      originalRepliedMessageSid: `SM${'2'.repeat(32)}`,
    });
    expect(provider().parse(whatsapp, hooks.last())[0]).toMatchObject({
      from: { address: CUSTOMER, kind: 'e164', profileName: 'Ana Souza' },
      to: BUSINESS,
      text: 'two photos',
      media: [
        { ref: 'https://api.twilio.com/media/1', mimeType: 'image/jpeg' },
        { ref: 'https://api.twilio.com/media/2', mimeType: 'application/pdf' },
      ],
      inReplyTo: `SM${'2'.repeat(32)}`,
    });

    await twilio.message(hooks.url, {
      from: `whatsapp:${CUSTOMER}`,
      to: `whatsapp:${BUSINESS}`,
      latitude: -23.5505,
      longitude: -46.6333,
      label: 'Office',
      address: 'Av. Paulista 1000',
    });
    const [place] = provider().parse(whatsapp, hooks.last()) as InboundMessage[];
    expect(place!.location).toEqual({
      latitude: -23.5505,
      longitude: -46.6333,
      name: 'Office',
      address: 'Av. Paulista 1000',
    });
    expect(place!.text).toBeUndefined();

    await twilio.message(hooks.url, {
      from: `whatsapp:${CUSTOMER}`,
      to: `whatsapp:${BUSINESS}`,
      body: 'Track my order',
      buttonPayload: 'track',
      buttonText: 'Track my order',
    });
    expect(provider().parse(whatsapp, hooks.last())[0]).toMatchObject({
      reply: { id: 'track', title: 'Track my order' },
    });
  });

  it('names the missing or broken field of a malformed webhook', async () => {
    const p = provider();
    const request = (params: Record<string, string>): WebhookRequest => ({
      method: 'POST',
      url: hooks.url,
      headers: {},
      query: {},
      rawBody: Buffer.from(formEncode(params)),
    });
    const base = { From: CUSTOMER, To: BUSINESS, Body: 'x', SmsStatus: 'received' };
    expect(() => p.parse(sms, request(base))).toThrow(new WebhookFormatError('MessageSid: missing'));
    const sid = { ...base, MessageSid: `SM${'3'.repeat(32)}` };
    expect(() => p.parse(sms, request({ ...sid, From: '' }))).toThrow(/^From: missing/);
    expect(() => p.parse(sms, request({ ...sid, NumMedia: '1' }))).toThrow(/MediaUrl0: missing/);
    expect(() => p.parse(sms, request({ ...sid, NumMedia: 'two' }))).toThrow(
      /NumMedia: "two" is not a number/,
    );
    expect(() => p.parse(sms, request({ ...sid, Latitude: 'north', Longitude: '1' }))).toThrow(/Latitude/);
    expect(() => p.parse(sms, { ...request({}), rawBody: Buffer.alloc(0) })).toThrow(/not a form/);
  });

  it('answers with empty TwiML as text/xml, never text/plain', () => {
    expect(provider().acknowledge(sms, hooks.requests[0]!)).toEqual({
      status: 200,
      contentType: 'text/xml',
      body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
    });
  });
});

describe('twilio status callbacks and media', () => {
  it('parses the callbacks of a sent message, duplicated and out of order', async () => {
    await twilio.message(hooks.url, { from: `whatsapp:${CUSTOMER}`, to: `whatsapp:${BUSINESS}`, body: 'hi' });
    const { providerMessageId } = await provider().send(whatsapp, {
      to: CUSTOMER,
      text: 'hello',
      statusCallbackUrl: hooks.url,
      idempotencyKey: 'k',
    });
    const before = hooks.requests.length;
    await twilio.deliver(providerMessageId, { duplicate: true, shuffleSeed: 3 });
    const callbacks = hooks.requests.slice(before);
    expect(callbacks.every((r) => provider().verify(whatsapp, r))).toBe(true);
    const statuses = callbacks.flatMap((r) => provider().parse(whatsapp, r)) as StatusUpdate[];
    expect(statuses.every((s) => s.kind === 'status' && s.providerMessageId === providerMessageId)).toBe(
      true,
    );
    const order = statuses.map((s) => s.status);
    expect([...order].sort()).toEqual([
      'delivered',
      'delivered',
      'queued',
      'queued',
      'read',
      'read',
      'sent',
      'sent',
    ]);
    expect(order).not.toEqual(['queued', 'queued', 'sent', 'sent', 'delivered', 'delivered', 'read', 'read']);
  });

  it('reports a WhatsApp send outside the window as failed 63016 in its callback', async () => {
    const { providerMessageId } = await provider().send(whatsapp, {
      to: '+14155550111',
      text: 'are you there?',
      statusCallbackUrl: hooks.url,
      idempotencyKey: 'k',
    });
    await twilio.deliver(providerMessageId);
    const last = provider().parse(whatsapp, hooks.last())[0] as StatusUpdate;
    expect(last).toMatchObject({
      status: 'failed',
      error: { kind: 'window-closed', code: '63016', permanent: true },
    });
  });

  it('can refuse a send outside the window on the request instead', async () => {
    const strict = await TwilioFake.start({ windowClosedAs: 'request' });
    try {
      const sender = { ...whatsapp, credentials: strict.credentials() };
      const err = await createTwilioProvider({ baseUrl: strict.baseUrl, timeoutMs: 2000 })
        .send(sender, { to: CUSTOMER, text: 'late', idempotencyKey: 'k' })
        .catch((e: ProviderError) => e);
      expect((err as ProviderError).failure).toMatchObject({
        kind: 'window-closed',
        code: '63016',
        permanent: true,
      });
    } finally {
      await strict.stop();
    }
  });

  it('classifies undelivered callbacks by error code', async () => {
    await twilio.statusCallback(`SM${'4'.repeat(32)}`, 'undelivered', { errorCode: 30003, url: hooks.url });
    expect(provider().parse(sms, hooks.last())[0]).toMatchObject({
      status: 'undelivered',
      error: { kind: 'unreachable', code: '30003', permanent: true },
    });
  });

  it('downloads media with Basic auth, following the redirect without sending the credentials on', async () => {
    const photo = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
    await twilio.message(hooks.url, {
      from: `whatsapp:${CUSTOMER}`,
      to: `whatsapp:${BUSINESS}`,
      media: [{ data: photo, contentType: 'image/jpeg' }],
    });
    const [message] = provider().parse(whatsapp, hooks.last()) as InboundMessage[];
    const fetched = await provider().fetchMedia(whatsapp, message!.media![0]!);
    expect(fetched).toEqual({ data: photo, mimeType: 'image/jpeg' });
    const media = twilio.requests.find((r) => r.route === 'media')!;
    const storage = twilio.requests.find((r) => r.route === 'storage')!;
    expect(media.headers.authorization).toMatch(/^Basic /);
    expect(storage.headers.authorization).toBeUndefined();

    const wrong = { ...whatsapp, credentials: { ...twilio.credentials(), authToken: 'c'.repeat(32) } };
    const err = await provider()
      .fetchMedia(wrong, message!.media![0]!)
      .catch((e: ProviderError) => e);
    expect((err as ProviderError).failure).toMatchObject({ kind: 'auth', code: '20003', permanent: true });
  });
});
