import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.ts';
import { createProviderRegistry } from '../../../bridge/providers/index.ts';
import { createTwilioProvider, twilioCredentials } from '../../../bridge/providers/twilio/provider.ts';
import {
  ProviderError,
  WebhookFormatError,
  type InboundMessage,
  type OutboundMessage,
  type SenderInfo,
  type StatusUpdate,
  type WebhookRequest,
} from '../../../bridge/providers/types.ts';
import { startWebhookCapture, type WebhookCapture } from '../../fakes/capture.ts';
import { formEncode, TwilioFake, twilioSignature } from '../../fakes/twilio.ts';

const CUSTOMER = '+14155550100';
const BUSINESS = '+14155559999';
const CONTENT_SID = `HX${'0123456789abcdef'.repeat(2)}`;

let twilio: TwilioFake;
let hooks: WebhookCapture;
let sms: SenderInfo;
let whatsapp: SenderInfo;

const provider = () => createTwilioProvider({ baseUrl: twilio.baseUrl, timeoutMs: 2000 });

async function sendError(sender: SenderInfo, message: Partial<OutboundMessage> = {}) {
  const err = await provider()
    .send(sender, { to: CUSTOMER, text: 'hello', idempotencyKey: 'k', ...message })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(ProviderError);
  return (err as ProviderError).failure;
}

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

describe('twilio credentials', () => {
  it('accepts an account and names what is wrong otherwise', () => {
    expect(twilioCredentials.safeParse(twilio.credentials()).success).toBe(true);
    const bad = twilioCredentials.safeParse({
      accountSid: 'SK123',
      authToken: 'x',
      messagingServiceSid: 'MG1',
    });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^accountSid: must be a Twilio Account SID/),
      expect.stringMatching(/^authToken: /),
      expect.stringMatching(/^messagingServiceSid: must be a Messaging Service SID/),
    ]);
  });

  it('is registered under its name with the configured base URL and time limit', () => {
    const config = parseConfig({
      homeserver: { url: 'http://localhost:8008', domain: 'example.com' },
      publicUrl: 'https://livechat.example.com',
      provisioning: { token: 'a-long-enough-token' },
    });
    const registry = createProviderRegistry(config);
    expect(registry.names()).toEqual(expect.arrayContaining(['twilio', 'whatsapp-cloud', 'simulator']));
    expect(registry.get('twilio').webhookPath(sms)).toBe('/webhooks/twilio/sender-sms');
  });
});

describe('twilio send', () => {
  it('sends an SMS with Basic auth and the status callback URL, and reports segments', async () => {
    const text =
      'Your order 🚚 is on its way and should arrive tomorrow between 9 and 12. Reply STOP to opt out';
    const result = await provider().send(sms, {
      to: CUSTOMER,
      text,
      statusCallbackUrl: 'https://bridge.example.com/webhooks/twilio/sender-sms',
      idempotencyKey: 'k1',
    });
    const [sent] = twilio.sent;
    expect(sent).toMatchObject({
      to: CUSTOMER,
      from: BUSINESS,
      body: text,
      statusCallback: 'https://bridge.example.com/webhooks/twilio/sender-sms',
      channel: 'sms',
    });
    expect(sent!.sid).toMatch(/^SM[0-9a-f]{32}$/);
    // The emoji forces UCS-2: 94 characters make two 67-character segments.
    expect(result).toEqual({ providerMessageId: sent!.sid, status: 'queued', segments: 2 });
  });

  it('prefixes WhatsApp addresses and puts a caption with its media URL', async () => {
    await provider().send(whatsapp, {
      to: CUSTOMER,
      text: 'see attached',
      media: { url: 'https://files.example.com/a.jpg', mimeType: 'image/jpeg', caption: 'Invoice' },
      idempotencyKey: 'k2',
    });
    expect(twilio.sent[0]).toMatchObject({
      to: `whatsapp:${CUSTOMER}`,
      from: `whatsapp:${BUSINESS}`,
      body: 'Invoice\n\nsee attached',
      mediaUrls: ['https://files.example.com/a.jpg'],
      channel: 'whatsapp',
    });
  });

  it('sends through a Messaging Service when the sender has one', async () => {
    const service = `MG${'ab'.repeat(16)}`;
    const sender = { ...sms, credentials: twilio.credentials({ messagingServiceSid: service }) };
    const result = await provider().send(sender, { to: CUSTOMER, text: 'hi', idempotencyKey: 'k3' });
    expect(twilio.sent[0]).toMatchObject({ messagingServiceSid: service });
    expect(twilio.sent[0]!.from).toBeUndefined();
    expect(result.status).toBe('queued');
  });

  it('sends templates as ContentSid with numbered ContentVariables, even outside the window', async () => {
    await provider().send(whatsapp, {
      to: CUSTOMER,
      template: { name: CONTENT_SID, language: 'en', parameters: ['Ana', '12 May'] },
      idempotencyKey: 'k4',
    });
    const [sent] = twilio.sent;
    expect(sent).toMatchObject({ contentSid: CONTENT_SID, contentVariables: { 1: 'Ana', 2: '12 May' } });
    expect(sent!.body).toBeUndefined();
    expect(sent!.failure).toBeUndefined();
  });

  it('turns a menu into numbered text, as Twilio has no free-form buttons', async () => {
    await provider().send(whatsapp, {
      to: CUSTOMER,
      interactive: {
        body: 'How can we help?',
        style: 'buttons',
        options: [
          { id: 'track', title: 'Track' },
          { id: 'agent', title: 'Talk to a person', description: 'weekdays 9–17' },
        ],
      },
      idempotencyKey: 'k5',
    });
    expect(twilio.sent[0]!.body).toBe('How can we help?\n\n1. Track\n2. Talk to a person — weekdays 9–17');
  });

  it('refuses, without calling Twilio, what Twilio cannot take', async () => {
    const noUrl = await sendError(sms, { media: { data: Buffer.from('x'), mimeType: 'image/png' } });
    expect(noUrl).toMatchObject({ kind: 'rejected', code: 'media-url-required', permanent: true });
    expect(noUrl.message).toMatch(/only takes media by URL/);
    const template = await sendError(whatsapp, {
      template: { name: 'order_update', language: 'en', parameters: [] },
    });
    expect(template).toMatchObject({ kind: 'rejected', permanent: true });
    expect(template.message).toMatch(/Content SID/);
    expect(twilio.requests).toHaveLength(0);
  });
});

describe('twilio errors', () => {
  it('classifies wrong credentials (20003) as a permanent auth failure', async () => {
    const sender = { ...sms, credentials: { ...twilio.credentials(), authToken: 'f'.repeat(32) } };
    expect(await sendError(sender)).toMatchObject({ kind: 'auth', code: '20003', permanent: true });
  });

  it('classifies an invalid number as Twilio reports it (21211)', async () => {
    expect(await sendError(sms, { to: '+1234' })).toMatchObject({
      kind: 'invalid-recipient',
      code: '21211',
      permanent: true,
    });
    expect(twilio.sent).toHaveLength(0);
  });

  it('reports a customer who texted STOP as opted out (21610), until START', async () => {
    await twilio.message(hooks.url, { from: CUSTOMER, to: BUSINESS, body: 'stop' });
    expect(await sendError(sms)).toMatchObject({ kind: 'opted-out', code: '21610', permanent: true });
    await twilio.message(hooks.url, { from: CUSTOMER, to: BUSINESS, body: 'START' });
    await expect(
      provider().send(sms, { to: CUSTOMER, text: 'welcome back', idempotencyKey: 'k' }),
    ).resolves.toBeDefined();
  });

  it.each([
    [21211, 'invalid-recipient', true],
    [21612, 'invalid-recipient', true],
    [21614, 'invalid-recipient', true],
    [21610, 'opted-out', true],
    [63016, 'window-closed', true],
    [20003, 'auth', true],
    [20429, 'throttled', false],
  ])('classifies error %i as %s', async (code, kind, permanent) => {
    twilio.fail({ route: 'send', kind: 'error', code, times: 1 });
    expect(await sendError(whatsapp)).toMatchObject({ kind, code: String(code), permanent });
  });

  it('honours Retry-After on 429, and retries without one', async () => {
    twilio.fail({ route: 'send', kind: '429', retryAfter: 3, times: 1 });
    expect(await sendError(sms)).toMatchObject({ kind: 'throttled', permanent: false, retryAfterMs: 3000 });
    twilio.fail({ route: 'send', kind: '429', times: 1 });
    const bare = await sendError(sms);
    expect(bare).toMatchObject({ kind: 'throttled', permanent: false });
    expect(bare.retryAfterMs).toBeUndefined();
    // The fault was used up: the next send goes through.
    await expect(
      provider().send(sms, { to: CUSTOMER, text: 'x', idempotencyKey: 'k' }),
    ).resolves.toBeDefined();
  });

  it('retries server errors, whether a proxy page or a Twilio JSON body', async () => {
    twilio.fail({ route: 'send', kind: '5xx-html', times: 1 });
    const html = await sendError(sms);
    expect(html).toMatchObject({ kind: 'unavailable', code: 'http-502', permanent: false });
    expect(html.message).toMatch(/502 Bad Gateway/);
    twilio.fail({ route: 'send', kind: '5xx-json', status: 500, times: 1 });
    expect(await sendError(sms)).toMatchObject({ kind: 'unavailable', code: '20500', permanent: false });
  });

  it('gives up on a hanging request after providers.timeoutSeconds, as retryable', async () => {
    const config = parseConfig({
      homeserver: { url: 'http://localhost:8008', domain: 'example.com' },
      publicUrl: 'https://livechat.example.com',
      provisioning: { token: 'a-long-enough-token' },
      providers: { timeoutSeconds: 1, twilio: { baseUrl: twilio.baseUrl } },
    });
    twilio.fail({ route: 'send', kind: 'hang', times: 1 });
    const err = await createProviderRegistry(config)
      .get('twilio')
      .send(sms, { to: CUSTOMER, text: 'x', idempotencyKey: 'k' })
      .catch((e: unknown) => e);
    expect((err as ProviderError).failure).toMatchObject({
      kind: 'unavailable',
      code: 'timeout',
      permanent: false,
      message: 'no answer within 1000 ms',
    });
  });

  it('retries a reset connection and a malformed answer', async () => {
    twilio.fail({ route: 'send', kind: 'reset', times: 1 });
    expect(await sendError(sms)).toMatchObject({ kind: 'unavailable', permanent: false });
    twilio.fail({ route: 'send', kind: 'malformed-json', times: 1 });
    const malformed = await sendError(sms);
    expect(malformed).toMatchObject({ kind: 'unavailable', code: 'http-201', permanent: false });
    expect(malformed.message).toMatch(/not JSON/);
  });

  it('can accept a message and lose the answer (the duplicate-send case)', async () => {
    twilio.fail({ route: 'send', kind: 'reset', afterAccept: true, times: 1 });
    expect(await sendError(sms)).toMatchObject({ kind: 'unavailable', permanent: false });
    expect(twilio.sent).toHaveLength(1);
  });

  it('fails a share of sends reproducibly with a seeded failure rate', async () => {
    const run = async () => {
      twilio.reset();
      twilio.failRate(0.3, 42);
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i++) {
        outcomes.push(
          await provider()
            .send(sms, { to: CUSTOMER, text: `n${i}`, idempotencyKey: `k${i}` })
            .then(
              () => 'ok',
              (e: ProviderError) => e.failure.kind,
            ),
        );
      }
      return outcomes;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first.filter((o) => o === 'ok').length).toBeGreaterThan(8);
    expect(first.filter((o) => o !== 'ok').length).toBeGreaterThan(2);
    expect(first.every((o) => o === 'ok' || o === 'unavailable' || o === 'throttled')).toBe(true);
  });
});

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
