import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorProvider } from '../../bridge/providers/simulator/provider.ts';
import type { InboundItem, InboundMessage, SenderInfo, StatusUpdate } from '../../bridge/providers/types.ts';
import { PhoneSimulator } from '../../dev/phone/simulator.ts';
import { startWebhookCapture, type WebhookCapture } from '../fakes/capture.ts';
import { waitFor } from '../fakes/http.ts';
import { closeBrowser, launchBrowser } from '../harness/browser.ts';

/*
 * The phone page against the simulator provider's own code on the bridge side: what the bridge
 * sends (buttons, lists) shows on the page, what a person taps, types and attaches reaches the
 * webhook signed and in a shape the provider parses, and the page's ticks become statuses.
 */

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('the phone page', () => {
  let phone: PhoneSimulator;
  let hooks: WebhookCapture;
  let browser: Browser;
  let page: Page;
  const provider = createSimulatorProvider({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 5000 });
  const sender = (channel: 'sms' | 'whatsapp', address: string): SenderInfo => ({
    id: `sender-${channel}`,
    spaceId: 'space',
    channel,
    address,
    addressKind: 'e164',
    credentials: { secret: randomBytes(16).toString('hex') },
  });
  const whatsapp = sender('whatsapp', '+5500112233');
  const sms = sender('sms', '+14155550199');
  let bridgeSide: ReturnType<typeof createSimulatorProvider>;

  /** What the bridge would read from the webhooks so far (signatures checked). */
  const received = (): InboundItem[] =>
    hooks.requests.flatMap((request) => {
      const who = request.url.endsWith(whatsapp.id) ? whatsapp : sms;
      expect(provider.verify(who, request)).toBe(true);
      return provider.parse(who, request);
    });
  const messages = () => received().filter((i): i is InboundMessage => i.kind === 'message');
  const statuses = (id: string) =>
    received()
      .filter((i): i is StatusUpdate => i.kind === 'status' && i.providerMessageId === id)
      .map((s) => s.status);

  beforeAll(async () => {
    hooks = await startWebhookCapture();
    phone = await PhoneSimulator.start({ page: true, webhookBase: hooks.url.replace(/\/hook$/, '') });
    for (const s of [whatsapp, sms])
      phone.addSender(s.id, String(s.credentials.secret), { channel: s.channel, address: s.address });
    bridgeSide = createSimulatorProvider({ baseUrl: phone.url, timeoutMs: 5000 });
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(`${phone.url}/?sender=${whatsapp.id}&from=%2B14155550100&name=Ada%20Lovelace`);
    await page.waitForSelector('#live:has-text("live")');
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await phone?.stop();
    await hooks?.stop();
  });

  it('shows WhatsApp buttons and sends the tapped one as a reply to that message', async () => {
    const sent = await bridgeSide.send(whatsapp, {
      to: '+14155550100',
      interactive: {
        body: 'How can we help you with your package?',
        style: 'buttons',
        options: [
          { id: 'where', title: 'Where is my package?' },
          { id: 'address', title: 'Change delivery address' },
        ],
      },
      idempotencyKey: 'menu-1',
    });
    await page.click('button.option[data-id="address"]');
    const reply = await waitFor(
      () => messages().find((m) => m.reply !== undefined),
      10_000,
      'the tapped reply at the webhook',
    );
    expect(reply.reply).toEqual({ id: 'address', title: 'Change delivery address' });
    expect(reply.inReplyTo).toBe(sent.providerMessageId);
    expect(reply.from).toMatchObject({ address: '+14155550100', profileName: 'Ada Lovelace' });
    await page.waitForSelector('.msg.mo.state-delivered:has-text("Change delivery address")');
  });

  it('opens a list and sends the chosen row', async () => {
    await bridgeSide.send(whatsapp, {
      to: '+14155550100',
      interactive: {
        body: 'Pick a time slot',
        style: 'list',
        listButton: 'Time slots',
        options: [
          { id: 'am', title: 'Morning', description: '8–12' },
          { id: 'pm', title: 'Afternoon', description: '12–18' },
        ],
      },
      idempotencyKey: 'list-1',
    });
    await page.click('summary:has-text("Time slots")');
    await page.click('button.option[data-id="pm"]');
    const reply = await waitFor(
      () => messages().find((m) => m.reply?.id === 'pm'),
      10_000,
      'the chosen row at the webhook',
    );
    expect(reply.reply?.title).toBe('Afternoon');
  });

  it('reports a WhatsApp message the page shows as sent, delivered and read, in that order', async () => {
    const sent = await bridgeSide.send(whatsapp, {
      to: '+14155550100',
      text: 'Your parcel is on its way',
      idempotencyKey: 'text-1',
    });
    await page.waitForSelector('.msg.mt:has-text("Your parcel is on its way")');
    await waitFor(
      () => (statuses(sent.providerMessageId).includes('read') ? true : undefined),
      10_000,
      'a read status',
    );
    expect(statuses(sent.providerMessageId)).toEqual(['sent', 'delivered', 'read']);
  });

  it('marks the customer message read (blue ticks) when the business reads it', async () => {
    await page.fill('#text', 'Thanks!');
    await page.click('#send');
    const message = await waitFor(
      () => messages().find((m) => m.text === 'Thanks!'),
      10_000,
      'the typed text at the webhook',
    );
    await page.waitForSelector('.msg.mo.state-delivered:has-text("Thanks!")');
    await bridgeSide.markRead!(whatsapp, message.providerMessageId);
    await page.waitForSelector('.msg.mo.state-read:has-text("Thanks!")');
  });

  it('sends a chosen file as media the bridge downloads with its signature', async () => {
    await page.setInputFiles('#file', { name: 'parcel.png', mimeType: 'image/png', buffer: PNG });
    await page.fill('#text', 'This is the parcel');
    await page.click('#send');
    const message = await waitFor(
      () => messages().find((m) => m.media?.length),
      10_000,
      'a message with media at the webhook',
    );
    expect(message.text).toBe('This is the parcel');
    const media = message.media![0]!;
    expect(media).toMatchObject({ mimeType: 'image/png', filename: 'parcel.png' });
    const file = await bridgeSide.fetchMedia!(whatsapp, media);
    expect(file.mimeType).toBe('image/png');
    expect(file.data.equals(PNG)).toBe(true);
    // Without the signature, the carrier does not hand it out.
    expect((await fetch(media.ref)).status).toBe(401);
    await page.waitForSelector('.msg.mo img');
  });

  it('sends STOP, START and HELP from their buttons, on SMS too', async () => {
    await page.selectOption('#sender', sms.id);
    for (const word of ['STOP', 'START', 'HELP']) await page.click(`.quick[data-text="${word}"]`);
    await waitFor(
      () => (messages().filter((m) => m.to === sms.address).length >= 3 ? true : undefined),
      10_000,
      'three SMS keywords at the webhook',
    );
    const words = messages()
      .filter((m) => m.to === sms.address)
      .map((m) => m.text);
    expect(words.sort()).toEqual(['HELP', 'START', 'STOP']);
    // SMS shows one tick once the carrier took it.
    await page.waitForSelector('.msg.mo:has-text("HELP") .ticks:text-is("✓")');
  });

  it('keeps the conversation after a reload and lists it among the conversations', async () => {
    await page.reload();
    await page.waitForSelector('#live:has-text("live")');
    await page.selectOption('#sender', whatsapp.id);
    await page.waitForSelector('.msg.mt:has-text("Your parcel is on its way")');
    const threads = await page.locator('.thread-link').allTextContents();
    expect(threads.some((t) => t.includes('+14155550100') && t.includes('WhatsApp +5500112233'))).toBe(true);
    expect(threads.some((t) => t.includes('+14155550100') && t.includes('SMS +14155550199'))).toBe(true);
  });
});
