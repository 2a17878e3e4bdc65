import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchCampaign, parseFlow, unwrapFlow } from '../../../bot/flows/index.ts';
import { Conversation, effects, texts } from './helpers.ts';

/*
 * The example from the product docs: the space "Orders" has the WhatsApp sender 5500112233, whose
 * campaign "Help Package" answers the keyword "Help Package" with a three-option menu.
 */
const file = new URL('../../../bot/flows/examples/help-package.yaml', import.meta.url);
const checked = parseFlow(readFileSync(file, 'utf8'), 'yaml');
const flow = unwrapFlow(checked);

const space = { name: 'Orders' };
const sender = { channel: 'whatsapp' as const, address: '5500112233', space };
const campaigns = [
  { id: 'help-package', name: 'Help Package', sender, keywords: ['Help Package'], flow },
  { id: 'promo', name: 'Promotions', sender, keywords: ['Promo'], flow },
];
const whatsapp = { capabilities: { interactive: true } };

function startedBy(text: string, ctx = whatsapp) {
  const campaign = matchCampaign(campaigns, text);
  if (!campaign) return undefined;
  const chat = new Conversation(campaign.flow, ctx);
  return { campaign, chat, actions: chat.start() };
}

describe('the Help Package example', () => {
  it('is a valid flow without warnings', () => {
    expect(checked).toMatchObject({ ok: true, warnings: [] });
  });

  it('starts on its keyword however it is typed, and only as the whole message', () => {
    for (const text of ['Help Package', 'help package', 'HELP  PACKAGE!', 'Hélp package?']) {
      expect(startedBy(text)?.campaign.id).toBe('help-package');
    }
    expect(startedBy('I need Help Package')).toBeUndefined();
  });

  it('shows the menu as three WhatsApp buttons', () => {
    const [menu] = startedBy('Help Package')!.actions.filter((a) => a.type === 'send');
    expect(menu).toMatchObject({
      style: 'buttons',
      interactive: {
        body: 'Hi! How can we help you with your package?',
        style: 'buttons',
        options: [
          { id: 'menu:where', title: 'Where is my package?' },
          { id: 'menu:address', title: 'Change delivery add…' },
          { id: 'menu:agent', title: 'Talk to an agent' },
        ],
      },
    });
  });

  it('shows the menu as numbered text over SMS', () => {
    expect(texts(startedBy('help package', { capabilities: { interactive: false } })!.actions)).toEqual([
      'Hi! How can we help you with your package?\n1. Where is my package?\n2. Change delivery address\n3. Talk to an agent',
    ]);
  });

  it('1: asks for the order number, insists on a number, then says it is on its way', () => {
    const { chat } = startedBy('Help Package')!;
    expect(texts(chat.tap('menu:where', 'Where is my package?'))).toEqual(['What is your order number?']);
    expect(texts(chat.say('the blue one'))).toEqual([
      'Please send only the digits of your order number, e.g. 12345.',
    ]);
    const done = chat.say('#48213');
    expect(effects(done)).toEqual([
      { type: 'setAttribute', name: 'order_number', value: '48213' },
      {
        type: 'send',
        text: 'Thanks! Order 48213 is on its way. You will get a message when it is out for delivery.',
      },
      { type: 'end', reason: 'end-node' },
    ]);
    expect(chat.attributes).toEqual({ order_number: '48213' });
  });

  it('2: collects the new address, then hands over with reason "address change"', () => {
    const { chat } = startedBy('Help Package')!;
    expect(texts(chat.say('2'))).toEqual(['What is the new delivery address (street, number, city)?']);
    expect(effects(chat.say('Rua Augusta 1500, São Paulo'))).toEqual([
      { type: 'setAttribute', name: 'delivery_address', value: 'Rua Augusta 1500, São Paulo' },
      { type: 'send', text: 'Thanks! An agent will confirm the new address with you.' },
      { type: 'handover', trigger: 'node', node: 'address_handover', reason: 'address change' },
    ]);
  });

  it('3: hands over to an agent', () => {
    const { chat } = startedBy('Help Package')!;
    expect(effects(chat.say('Talk to an agent'))).toEqual([
      { type: 'handover', trigger: 'node', node: 'to_agent', reason: 'customer asked for an agent' },
    ]);
  });

  it('hands over on "agent" at any point, and after three answers it does not understand', () => {
    const { chat } = startedBy('Help Package')!;
    chat.say('1');
    expect(effects(chat.say('AGENT'))).toEqual([
      { type: 'handover', trigger: 'keyword', node: 'ask_order', reason: 'asked for an agent ("AGENT")' },
    ]);
    const lost = startedBy('Help Package')!.chat;
    expect(texts(lost.say('what?'))[0]).toMatch(/^Sorry, I did not get that\./);
    lost.say('hello?');
    expect(effects(lost.say('??'))).toEqual([
      expect.objectContaining({ type: 'handover', trigger: 'misses' }),
    ]);
  });
});
