import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  WebhookFormatError,
  type InboundMessage,
  type SenderInfo,
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
