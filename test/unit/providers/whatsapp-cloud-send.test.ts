import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.ts';
import { createProviderRegistry } from '../../../bridge/providers/index.ts';
import {
  ProviderError,
  type InboundMessage,
  type OutboundMessage,
  type SenderInfo,
  type StatusUpdate,
} from '../../../bridge/providers/types.ts';
import { createWhatsAppCloudProvider } from '../../../bridge/providers/whatsapp-cloud/provider.ts';
import { startWebhookCapture, type WebhookCapture } from '../../fakes/capture.ts';
import { MetaFake } from '../../fakes/meta.ts';

const CUSTOMER = '+14155550100';

let meta: MetaFake;
let hooks: WebhookCapture;
let sender: SenderInfo;

const provider = () =>
  createWhatsAppCloudProvider({ baseUrl: meta.baseUrl, apiVersion: 'v21.0', timeoutMs: 2000 });

/** Opens the customer's 24-hour window, as a real conversation would. */
const customerWrites = (from = CUSTOMER) => meta.inbound({ from, text: 'hi' }, { url: hooks.url });

async function sendError(message: Partial<OutboundMessage> = {}, as: SenderInfo = sender) {
  const err = await provider()
    .send(as, { to: CUSTOMER, text: 'hello', idempotencyKey: 'k', ...message })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(ProviderError);
  return (err as ProviderError).failure;
}

function parseLast(): ReturnType<ReturnType<typeof provider>['parse']> {
  return provider().parse(sender, hooks.last());
}

beforeAll(async () => {
  meta = await MetaFake.start();
  hooks = await startWebhookCapture();
  meta.webhookUrl = hooks.url;
  sender = {
    id: 'sender-wa',
    spaceId: 'space-1',
    channel: 'whatsapp',
    address: '+15550001111',
    addressKind: 'e164',
    credentials: meta.credentials(),
  };
});
afterAll(async () => {
  await meta.stop();
  await hooks.stop();
});
afterEach(() => meta.reset());

describe('whatsapp-cloud send', () => {
  it('sends text without link previews, tagged with the idempotency key', async () => {
    await customerWrites();
    const result = await provider().send(sender, {
      to: CUSTOMER,
      text: 'Hello https://example.com',
      idempotencyKey: 'outbox-7',
    });
    const [sent] = meta.sent;
    expect(result).toEqual({ providerMessageId: sent!.id, status: 'queued' });
    expect(sent!.id).toMatch(/^wamid\./);
    expect(sent!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '14155550100',
      type: 'text',
      text: { preview_url: false, body: 'Hello https://example.com' },
      biz_opaque_callback_data: 'outbox-7',
    });
  });

  it('sends to a business-scoped user id as recipient', async () => {
    await meta.inbound({ userId: 'US.1349', text: 'hi' }, { url: hooks.url });
    await provider().send(sender, { to: 'US.1349', text: 'hello', idempotencyKey: 'k' });
    expect(meta.sent[0]!.body).toMatchObject({ recipient: 'US.1349' });
    expect(meta.sent[0]!.body.to).toBeUndefined();
  });

  it('sends reply buttons with titles cut to 20 characters on a grapheme boundary', async () => {
    await customerWrites();
    await provider().send(sender, {
      to: CUSTOMER,
      interactive: {
        body: 'What do you need?',
        style: 'buttons',
        options: [
          { id: 'track', title: 'Track my order' },
          { id: 'agent', title: 'Talk to a human being right now' },
          { id: 'flag', title: 'Delivery 🇧🇷🇧🇷🇧🇷🇧🇷' },
        ],
      },
      idempotencyKey: 'k',
    });
    expect(meta.sent[0]!.body.interactive).toEqual({
      type: 'button',
      body: { text: 'What do you need?' },
      action: {
        buttons: [
          { type: 'reply', reply: { id: 'track', title: 'Track my order' } },
          { type: 'reply', reply: { id: 'agent', title: 'Talk to a human bei…' } },
          { type: 'reply', reply: { id: 'flag', title: 'Delivery 🇧🇷🇧🇷…' } },
        ],
      },
    });
  });

  it('sends lists (and more than three buttons as a list) with cut titles and descriptions', async () => {
    await customerWrites();
    const options = Array.from({ length: 5 }, (_, i) => ({
      id: `opt-${i}`,
      title: `Option number ${i} with a long title`,
      description: 'd'.repeat(80),
    }));
    await provider().send(sender, {
      to: CUSTOMER,
      interactive: { body: 'Pick one', style: 'buttons', listButton: 'See all the options we have', options },
      idempotencyKey: 'k',
    });
    const interactive = meta.sent[0]!.body.interactive as {
      type: string;
      action: { button: string; sections: { rows: { title: string; description: string }[] }[] };
    };
    expect(interactive.type).toBe('list');
    expect(interactive.action.button).toBe('See all the options…');
    expect(interactive.action.sections[0]!.rows).toHaveLength(5);
    expect(interactive.action.sections[0]!.rows[0]).toEqual({
      id: 'opt-0',
      title: 'Option number 0 with a…',
      description: `${'d'.repeat(71)}…`,
    });
  });

  it('sends more than ten options as numbered text rather than failing', async () => {
    await customerWrites();
    const options = Array.from({ length: 11 }, (_, i) => ({ id: `o${i}`, title: `Item ${i + 1}` }));
    await provider().send(sender, {
      to: CUSTOMER,
      interactive: { body: 'Choose', style: 'list', options },
      idempotencyKey: 'k',
    });
    const body = (meta.sent[0]!.body.text as { body: string }).body;
    expect(body.split('\n').slice(0, 4)).toEqual(['Choose', '', '1. Item 1', '2. Item 2']);
    expect(body).toContain('11. Item 11');
  });

  it('sends templates with body parameters, outside the window too', async () => {
    await provider().send(sender, {
      to: '+14155550177',
      template: { name: 'order_update', language: 'pt_BR', parameters: ['Ana', '#1234'] },
      idempotencyKey: 'k',
    });
    expect(meta.sent[0]!.body.template).toEqual({
      name: 'order_update',
      language: { code: 'pt_BR' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'text', text: '#1234' },
          ],
        },
      ],
    });
    expect(meta.sent[0]!.failure).toBeUndefined();
  });

  it('sends media by link, or uploads bytes first and sends the id', async () => {
    await customerWrites();
    await provider().send(sender, {
      to: CUSTOMER,
      media: {
        url: 'https://files.example.com/invoice.pdf',
        mimeType: 'application/pdf',
        filename: 'invoice.pdf',
        caption: 'Your invoice',
      },
      idempotencyKey: 'k1',
    });
    expect(meta.sent[0]!.body).toMatchObject({
      type: 'document',
      document: {
        link: 'https://files.example.com/invoice.pdf',
        caption: 'Your invoice',
        filename: 'invoice.pdf',
      },
    });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 9, 9, 9]);
    await provider().send(sender, {
      to: CUSTOMER,
      media: { data: png, mimeType: 'image/png', filename: 'map.png' },
      idempotencyKey: 'k2',
    });
    expect(meta.uploads).toEqual([
      { id: expect.any(String), type: 'image/png', filename: 'map.png', data: png },
    ]);
    expect(meta.sent[1]!.body).toMatchObject({ type: 'image', image: { id: meta.uploads[0]!.id } });
    await provider().send(sender, {
      to: CUSTOMER,
      media: { url: 'https://files.example.com/v.ogg', mimeType: 'audio/ogg', caption: 'listen' },
      idempotencyKey: 'k3',
    });
    expect(meta.sent[2]!.body).toMatchObject({ type: 'document', document: { caption: 'listen' } });
  });

  it('marks messages as read', async () => {
    const { ids } = await customerWrites();
    await provider().markRead!(sender, ids[0]!);
    expect(meta.reads).toEqual([ids[0]]);
  });
});

describe('whatsapp-cloud errors', () => {
  it('classifies a wrong token (190) as a permanent auth failure', async () => {
    const wrong = {
      ...sender,
      credentials: { ...meta.credentials(), accessToken: 'EAAG-not-the-token-at-all' },
    };
    expect(await sendError({}, wrong)).toMatchObject({ kind: 'auth', code: '190', permanent: true });
  });

  it.each([
    [131047, 'window-closed', true],
    [131026, 'unreachable', true],
    [130429, 'throttled', false],
    [131056, 'throttled', false],
    [131051, 'rejected', true],
    [190, 'auth', true],
  ])('classifies error %i as %s', async (code, kind, permanent) => {
    meta.fail({ route: 'send', kind: 'error', code, times: 1 });
    expect(await sendError()).toMatchObject({ kind, code: String(code), permanent });
  });

  it('names an invalid field Meta refused', async () => {
    await customerWrites();
    const failure = await sendError({ text: 'x'.repeat(4097) });
    expect(failure).toMatchObject({ kind: 'rejected', code: '131009', permanent: true });
    expect(failure.message).toMatch(/longer than 4096/);
  });

  it('honours Retry-After on 429, and retries without one', async () => {
    meta.fail({ route: 'send', kind: '429', retryAfter: 12, times: 1 });
    expect(await sendError()).toMatchObject({ kind: 'throttled', permanent: false, retryAfterMs: 12_000 });
    meta.fail({ route: 'send', kind: '429', times: 1 });
    const bare = await sendError();
    expect(bare).toMatchObject({ kind: 'throttled', permanent: false });
    expect(bare.retryAfterMs).toBeUndefined();
  });

  it('retries server errors with HTML or JSON bodies, resets and malformed answers', async () => {
    meta.fail({ route: 'send', kind: '5xx-html', status: 504, times: 1 });
    expect(await sendError()).toMatchObject({ kind: 'unavailable', code: 'http-504', permanent: false });
    meta.fail({ route: 'send', kind: '5xx-json', times: 1 });
    expect(await sendError()).toMatchObject({ kind: 'unavailable', code: '1', permanent: false });
    meta.fail({ route: 'send', kind: 'reset', times: 1 });
    expect(await sendError()).toMatchObject({ kind: 'unavailable', permanent: false });
    meta.fail({ route: 'send', kind: 'malformed-json', times: 1 });
    expect(await sendError()).toMatchObject({ kind: 'unavailable', permanent: false });
  });

  it('gives up on a hanging request after providers.timeoutSeconds, as retryable', async () => {
    const config = parseConfig({
      homeserver: { url: 'http://localhost:8008', domain: 'example.com' },
      publicUrl: 'https://livechat.example.com',
      provisioning: { token: 'a-long-enough-token' },
      providers: { timeoutSeconds: 1, whatsappCloud: { baseUrl: meta.baseUrl } },
    });
    meta.fail({ route: 'send', kind: 'hang', times: 1 });
    const err = await createProviderRegistry(config)
      .get('whatsapp-cloud')
      .send(sender, { to: CUSTOMER, text: 'x', idempotencyKey: 'k' })
      .catch((e: unknown) => e);
    expect((err as ProviderError).failure).toMatchObject({
      kind: 'unavailable',
      code: 'timeout',
      permanent: false,
    });
  });

  it('reports a free-form send outside the window as failed 131047 in its status', async () => {
    const { providerMessageId } = await provider().send(sender, {
      to: '+14155550188',
      text: 'still there?',
      idempotencyKey: 'k',
    });
    await meta.deliver(providerMessageId);
    expect(parseLast()).toEqual([
      {
        kind: 'status',
        providerMessageId,
        status: 'failed',
        timestamp: expect.any(Date),
        error: expect.objectContaining({ kind: 'window-closed', code: '131047', permanent: true }),
      },
    ]);
  });
});

describe('whatsapp-cloud statuses and media', () => {
  it('parses the statuses of a sent message, duplicated and out of order', async () => {
    await customerWrites();
    const { providerMessageId } = await provider().send(sender, {
      to: CUSTOMER,
      text: 'hello',
      idempotencyKey: 'k',
    });
    const before = hooks.requests.length;
    await meta.deliver(providerMessageId, { duplicate: true, shuffleSeed: 11 });
    const statuses = hooks.requests.slice(before).flatMap((r) => {
      expect(provider().verify(sender, r)).toBe(true);
      return provider().parse(sender, r) as StatusUpdate[];
    });
    expect(statuses.every((s) => s.providerMessageId === providerMessageId)).toBe(true);
    const order = statuses.map((s) => s.status);
    expect([...order].sort()).toEqual(['delivered', 'delivered', 'read', 'read', 'sent', 'sent']);
    expect(order).not.toEqual(['sent', 'sent', 'delivered', 'delivered', 'read', 'read']);
  });

  it('classifies a failed status by its error code', async () => {
    await meta.status('wamid.gone', 'failed', {
      errors: [{ code: 131026, message: 'Message undeliverable.' }],
    });
    expect(parseLast()[0]).toMatchObject({
      status: 'failed',
      error: { kind: 'unreachable', code: '131026', permanent: true },
    });
  });

  it('downloads media through the media id, with the bearer token on both requests', async () => {
    const voice = Buffer.from('OggS voice note');
    await meta.inbound({ from: CUSTOMER, media: { kind: 'audio', data: voice, mimeType: 'audio/ogg' } });
    const [message] = parseLast() as InboundMessage[];
    expect(await provider().fetchMedia(sender, message!.media![0]!)).toEqual({
      data: voice,
      mimeType: 'audio/ogg',
    });
    const routes = meta.requests.filter((r) => r.route === 'media' || r.route === 'download');
    expect(routes.map((r) => [r.route, r.headers.authorization])).toEqual([
      ['media', `Bearer ${meta.accessToken}`],
      ['download', `Bearer ${meta.accessToken}`],
    ]);
    const wrong = {
      ...sender,
      credentials: { ...meta.credentials(), accessToken: 'EAAG-expired-token-value' },
    };
    const err = await provider()
      .fetchMedia(wrong, message!.media![0]!)
      .catch((e: ProviderError) => e);
    expect((err as ProviderError).failure).toMatchObject({ kind: 'auth', code: '190' });
  });

  it('acknowledges with a plain 200', () => {
    expect(provider().acknowledge(sender, hooks.requests[0]!).status).toBe(200);
  });
});
