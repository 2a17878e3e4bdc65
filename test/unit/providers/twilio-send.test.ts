import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.ts';
import { createProviderRegistry } from '../../../bridge/providers/index.ts';
import { createTwilioProvider, twilioCredentials } from '../../../bridge/providers/twilio/provider.ts';
import { ProviderError, type OutboundMessage, type SenderInfo } from '../../../bridge/providers/types.ts';
import { startWebhookCapture, type WebhookCapture } from '../../fakes/capture.ts';
import { TwilioFake } from '../../fakes/twilio.ts';

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
