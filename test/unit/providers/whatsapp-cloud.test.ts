import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.ts';
import { createProviderRegistry } from '../../../bridge/providers/index.ts';
import {
  ProviderError,
  WebhookFormatError,
  type InboundMessage,
  type OutboundMessage,
  type SenderInfo,
  type StatusUpdate,
  type WebhookRequest,
} from '../../../bridge/providers/types.ts';
import {
  createWhatsAppCloudProvider,
  whatsappCloudCredentials,
} from '../../../bridge/providers/whatsapp-cloud/provider.ts';
import { startWebhookCapture, type WebhookCapture } from '../../fakes/capture.ts';
import { MetaFake, metaSignature } from '../../fakes/meta.ts';

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

describe('whatsapp-cloud credentials and handshake', () => {
  it('validates credentials with messages that say where to find them', () => {
    expect(whatsappCloudCredentials.safeParse(meta.credentials()).success).toBe(true);
    const bad = whatsappCloudCredentials.safeParse({
      phoneNumberId: '+1 555',
      accessToken: 'x',
      appSecret: 'y',
    });
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^phoneNumberId: must be the numeric Phone number ID/),
      expect.stringMatching(/^accessToken: /),
      expect.stringMatching(/^appSecret: must be the App Secret/),
      expect.stringMatching(/^verifyToken: /),
    ]);
  });

  it('answers the hub.challenge only for the right verify token', () => {
    const request = (query: Record<string, string>): WebhookRequest => ({
      method: 'GET',
      url: 'https://bridge.example.com/webhooks/whatsapp/sender-wa',
      headers: {},
      query,
      rawBody: Buffer.alloc(0),
    });
    const p = provider();
    const good = {
      'hub.mode': 'subscribe',
      'hub.verify_token': meta.verifyToken,
      'hub.challenge': '1158201444',
    };
    expect(p.handshake!(sender, request(good))).toEqual({
      status: 200,
      contentType: 'text/plain',
      body: '1158201444',
    });
    expect(p.handshake!(sender, request({ ...good, 'hub.verify_token': 'guess' })).status).toBe(403);
    expect(p.handshake!(sender, request({ ...good, 'hub.mode': 'unsubscribe' })).status).toBe(403);
    expect(p.handshake!(sender, request({ 'hub.mode': 'subscribe', 'hub.challenge': '1' })).status).toBe(403);
  });
});

describe('whatsapp-cloud signatures', () => {
  it('verifies the bytes Meta sent, with non-ASCII escaped as \\uXXXX, never a re-serialization', async () => {
    await meta.inbound({ from: CUSTOMER, name: 'José', text: 'Olá, café? 👍' });
    const request = hooks.last();
    expect(request.rawBody.toString()).toContain('Ol\\u00e1, caf\\u00e9? \\ud83d\\udc4d');
    expect(provider().verify(sender, request)).toBe(true);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(request.rawBody.toString())));
    expect(reserialized.equals(request.rawBody)).toBe(false);
    expect(provider().verify(sender, { ...request, rawBody: reserialized })).toBe(false);
  });

  it('verifies raw UTF-8 bodies too', async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [], note: 'ação 日本' });
    await meta.post(body);
    expect(hooks.last().rawBody.toString('utf8')).toContain('ação 日本');
    expect(provider().verify(sender, hooks.last())).toBe(true);
  });

  it('rejects a tampered body, another secret, a missing or malformed header', async () => {
    await meta.inbound({ from: CUSTOMER, text: 'pay 10' });
    const good = hooks.last();
    const p = provider();
    const tampered = Buffer.from(good.rawBody.toString().replace('pay 10', 'pay 99'));
    expect(p.verify(sender, { ...good, rawBody: tampered })).toBe(false);
    expect(
      p.verify({ ...sender, credentials: { ...meta.credentials(), appSecret: 'another-app-secret' } }, good),
    ).toBe(false);
    expect(p.verify(sender, { ...good, headers: {} })).toBe(false);
    for (const header of [
      'sha256=zz',
      'sha1=abc',
      metaSignature(meta.appSecret, good.rawBody).slice(0, -2),
    ]) {
      expect(p.verify(sender, { ...good, headers: { 'x-hub-signature-256': header } })).toBe(false);
    }
    await meta.inbound({ from: CUSTOMER, text: 'x' }, { appSecret: 'not-the-app-secret' });
    expect(p.verify(sender, hooks.last())).toBe(false);
  });
});

describe('whatsapp-cloud parse', () => {
  it('parses text with the profile name and the replied-to message', async () => {
    const { ids } = await meta.inbound({
      from: CUSTOMER,
      name: 'Ana',
      text: 'Where is my order?',
      replyTo: 'wamid.earlier',
      timestamp: 1_790_000_000,
    });
    expect(parseLast()).toEqual([
      {
        kind: 'message',
        providerMessageId: ids[0],
        from: { address: CUSTOMER, kind: 'e164', profileName: 'Ana' },
        to: meta.displayPhoneNumber,
        timestamp: new Date(1_790_000_000_000),
        text: 'Where is my order?',
        inReplyTo: 'wamid.earlier',
      },
    ]);
  });

  it('parses every media type with its id, type, filename and caption', async () => {
    const data = Buffer.from('bytes');
    await meta.inbound([
      { from: CUSTOMER, media: { kind: 'image', data, mimeType: 'image/jpeg', caption: 'the box' } },
      { from: CUSTOMER, media: { kind: 'audio', data, mimeType: 'audio/ogg; codecs=opus' } },
      { from: CUSTOMER, media: { kind: 'video', data, mimeType: 'video/mp4' } },
      {
        from: CUSTOMER,
        media: { kind: 'document', data, mimeType: 'application/pdf', filename: 'invoice.pdf' },
      },
      { from: CUSTOMER, media: { kind: 'sticker', data, mimeType: 'image/webp' } },
    ]);
    const items = parseLast() as InboundMessage[];
    expect(items.map((i) => i.media![0])).toEqual([
      { ref: expect.any(String), mimeType: 'image/jpeg', caption: 'the box' },
      { ref: expect.any(String), mimeType: 'audio/ogg; codecs=opus' },
      { ref: expect.any(String), mimeType: 'video/mp4' },
      { ref: expect.any(String), mimeType: 'application/pdf', filename: 'invoice.pdf' },
      { ref: expect.any(String), mimeType: 'image/webp' },
    ]);
  });

  it('parses locations, button and list replies, template buttons and reactions', async () => {
    await meta.inbound([
      {
        from: CUSTOMER,
        location: { latitude: 38.72, longitude: -9.14, name: 'Shop', address: 'Rua Augusta 1' },
      },
      { from: CUSTOMER, buttonReply: { id: 'track', title: 'Track' } },
      { from: CUSTOMER, listReply: { id: 'billing', title: 'Billing', description: 'Invoices' } },
      { from: CUSTOMER, button: { payload: 'yes-remind', text: 'Yes' } },
      { from: CUSTOMER, reaction: { messageId: 'wamid.ours', emoji: '👍' } },
      { from: CUSTOMER, reaction: { messageId: 'wamid.ours', emoji: '' } },
    ]);
    const items = parseLast() as InboundMessage[];
    expect(items[0]!.location).toEqual({
      latitude: 38.72,
      longitude: -9.14,
      name: 'Shop',
      address: 'Rua Augusta 1',
    });
    expect(items[1]).toMatchObject({ text: 'Track', reply: { id: 'track', title: 'Track' } });
    expect(items[2]).toMatchObject({ text: 'Billing', reply: { id: 'billing', title: 'Billing' } });
    expect(items[3]).toMatchObject({ text: 'Yes', reply: { id: 'yes-remind', title: 'Yes' } });
    expect(items[4]).toMatchObject({ text: 'Reacted 👍 to a message', inReplyTo: 'wamid.ours' });
    expect(items[5]).toMatchObject({ text: 'Removed a reaction from a message', inReplyTo: 'wamid.ours' });
  });

  it('turns messages it cannot show into a text saying so, never dropping them', async () => {
    await meta.inbound([
      {
        from: CUSTOMER,
        raw: {
          type: 'unsupported',
          errors: [
            {
              code: 131051,
              title: 'Message type unknown',
              error_data: { details: 'Message type is currently not supported.' },
            },
          ],
        },
      },
      { from: CUSTOMER, raw: { type: 'order', order: { catalog_id: '1', product_items: [] } } },
      {
        from: CUSTOMER,
        raw: {
          type: 'contacts',
          contacts: [{ name: { formatted_name: 'Bia' }, phones: [{ phone: '+55 11 5555-0000' }] }],
        },
      },
    ]);
    const [unsupported, order, card] = parseLast() as InboundMessage[];
    expect(unsupported!.text).toBe(
      '⚠️ The customer sent a kind of message that cannot be shown here (Message type is currently not supported.).',
    );
    expect(order!.text).toBe('⚠️ The customer sent a "order" message that cannot be shown here.');
    expect(card!.text).toBe('Shared a contact: Bia +55 11 5555-0000');
  });

  it('parses batched payloads (entries, changes, messages) in order', async () => {
    for (const batch of ['entries', 'changes', 'messages'] as const) {
      const { ids } = await meta.inbound(
        [
          { from: CUSTOMER, text: 'one' },
          { from: '+4915112345678', name: 'Jonas', text: 'two' },
          { from: CUSTOMER, text: 'three' },
        ],
        { batch },
      );
      const items = parseLast() as InboundMessage[];
      expect(items.map((i) => [i.providerMessageId, i.from.address, i.text])).toEqual([
        [ids[0], CUSTOMER, 'one'],
        [ids[1], '+4915112345678', 'two'],
        [ids[2], CUSTOMER, 'three'],
      ]);
      expect(items[1]!.from.profileName).toBe('Jonas');
    }
  });

  it('knows a customer without a phone number by their business-scoped user id', async () => {
    await meta.inbound({ userId: 'US.13491208655302741918', name: 'Bo', text: 'hello' });
    expect(parseLast()[0]).toMatchObject({
      from: { address: 'US.13491208655302741918', kind: 'wa-user-id', profileName: 'Bo' },
    });
  });

  it("ignores other phone numbers' traffic, other fields and other products", async () => {
    const value = meta.messagesValue([{ from: CUSTOMER, text: 'for another number' }]);
    const other = { ...value, metadata: { display_phone_number: '15559990000', phone_number_id: '999' } };
    await meta.post({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: meta.wabaId,
          changes: [
            { field: 'messages', value: other },
            { field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } },
          ],
        },
      ],
    });
    expect(parseLast()).toEqual([]);
    await meta.post({ object: 'page', entry: [{ id: '1', changes: [] }] });
    expect(parseLast()).toEqual([]);
  });

  it('names the broken field of a malformed payload', async () => {
    const value = meta.messagesValue([{ from: CUSTOMER, text: 'x' }]);
    const post = (v: unknown) =>
      meta.post({
        object: 'whatsapp_business_account',
        entry: [{ id: '1', changes: [{ field: 'messages', value: v }] }],
      });
    const messages = value.messages as Record<string, unknown>[];
    await post({ ...value, messages: [{ ...messages[0], id: undefined }] });
    expect(parseLast).toThrow(
      new WebhookFormatError(
        'entry.0.changes.0.value.messages.0.id: Invalid input: expected string, received undefined',
      ),
    );
    await post({ ...value, messages: [{ ...messages[0], text: undefined }] });
    expect(parseLast).toThrow(/messages\.0\.text: missing for type "text"/);
    await post({ ...value, contacts: [], messages: [{ ...messages[0], from: undefined }] });
    expect(parseLast).toThrow(/messages\.0\.from: missing/);
    await post({ ...value, metadata: {} });
    expect(parseLast).toThrow(/metadata\.phone_number_id/);
    await meta.post('{"object": "whatsapp_business_account", "entry": [');
    expect(parseLast).toThrow(/not JSON/);
  });
});

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
