import { describe, expect, it } from 'vitest';
import { Conversation, effects, flowOf, texts } from './helpers.ts';
import { shop } from './fixtures.ts';

describe('questions', () => {
  it('stores a valid answer in its canonical form and goes on', () => {
    const chat = new Conversation(shop);
    chat.start();
    chat.say('1');
    const actions = chat.say('#12 345');
    expect(actions).toEqual([
      { type: 'setAttribute', name: 'order_number', value: '12345' },
      {
        type: 'journey',
        event: 'attribute-set',
        detail: { node: 'ask_order', name: 'order_number', value: '12345' },
      },
      { type: 'journey', event: 'node-entered', detail: { node: 'on_its_way', type: 'end' } },
      { type: 'send', text: 'Order 12345 is on its way.' },
      { type: 'journey', event: 'flow-ended', detail: { node: 'on_its_way', reason: 'end-node' } },
      { type: 'end', reason: 'end-node' },
    ]);
    expect(chat.attributes).toEqual({ order_number: '12345' });
    expect(chat.state).toMatchObject({
      status: 'ended',
      node: 'on_its_way',
      path: ['hello', 'menu', 'ask_order', 'on_its_way'],
    });
  });

  it('sends the retry prompt for an invalid answer or a picture, counting misses', () => {
    const chat = new Conversation(shop);
    chat.start();
    chat.say('1');
    expect(texts(chat.say('my order from Tuesday'))).toEqual(['Digits only, please.']);
    expect(texts(chat.say('', { hasMedia: true }))).toEqual(['Digits only, please.']);
    expect(chat.state).toMatchObject({ node: 'ask_order', misses: 2 });
    expect(effects(chat.say('still no'))).toEqual([
      {
        type: 'handover',
        trigger: 'misses',
        node: 'ask_order',
        reason: 'not understood 3 times in a row at "ask_order"',
      },
    ]);
  });

  it("falls back to the validator's own prompt, or a custom validator's message", () => {
    const flow = flowOf({
      start: 'email',
      nodes: {
        email: { type: 'ask', text: 'Email?', attribute: 'email', validate: 'email', next: 'code' },
        code: {
          type: 'ask',
          text: 'Code?',
          attribute: 'code',
          validate: { regex: '^[A-Z]{2}-\\d{4}$', message: 'A code looks like AB-1234.' },
          next: 'bye',
        },
        bye: { type: 'end', text: 'Thanks {{email}}, code {{code}}.' },
      },
    });
    const chat = new Conversation(flow);
    expect(texts(chat.start())).toEqual(['Email?']);
    expect(texts(chat.say('ana at example'))).toEqual([
      'That does not look like an email address. Please send it like name@example.com.',
    ]);
    expect(texts(chat.say('Ana@Example.com'))).toEqual(['Code?']);
    expect(texts(chat.say('ab1234'))).toEqual(['A code looks like AB-1234.']);
    expect(texts(chat.say('AB-1234'))).toEqual(['Thanks Ana@example.com, code AB-1234.']);
  });

  it('reads phone numbers in the country given by the context', () => {
    const flow = flowOf({
      start: 'phone',
      nodes: {
        phone: { type: 'question', text: 'Phone?', attribute: 'phone', validate: 'phone', next: 'bye' },
        bye: { type: 'end' },
      },
    });
    const chat = new Conversation(flow, { defaultCountry: 'BR' });
    chat.start();
    expect(effects(chat.say('(11) 98765-4321'))[0]).toEqual({
      type: 'setAttribute',
      name: 'phone',
      value: '+5511987654321',
    });
  });
});

describe('branches', () => {
  const routed = flowOf({
    start: 'ask_plan',
    nodes: {
      ask_plan: { type: 'ask', text: 'Your plan?', attribute: 'plan', next: 'route' },
      route: {
        type: 'branch',
        rules: [
          { when: { attribute: 'blocked', exists: true }, next: 'blocked' },
          { when: { attribute: 'plan', equals: 'Gold' }, next: 'gold' },
          { when: { attribute: 'plan', in: ['silver', 'bronze'] }, next: 'metal' },
          { when: { attribute: 'email', matches: '@example\\.com$' }, next: 'staff' },
        ],
        else: 'basic',
      },
      blocked: { type: 'end', text: 'blocked' },
      gold: { type: 'end', text: 'gold' },
      metal: { type: 'end', text: 'metal' },
      staff: { type: 'end', text: 'staff' },
      basic: { type: 'end', text: 'basic' },
    },
  });

  function outcome(answer: string, attributes: Record<string, string> = {}) {
    const chat = new Conversation(routed, { attributes });
    chat.start();
    const actions = chat.say(answer);
    return {
      said: texts(actions).at(-1),
      taken: actions.find((a) => a.type === 'journey' && a.event === 'branch-taken'),
    };
  }

  it('decides on the attribute just collected, ignoring case and accents', () => {
    expect(outcome('GÓLD!').said).toBe('gold');
    expect(outcome('bronze').said).toBe('metal');
    expect(outcome('platinum').said).toBe('basic');
  });

  it('decides on attributes given by the caller, first rule that holds', () => {
    expect(outcome('gold', { blocked: 'yes' }).said).toBe('blocked');
    expect(outcome('gold', { blocked: '  ' }).said).toBe('gold');
    expect(outcome('none', { email: 'ana@example.com' }).said).toBe('staff');
    expect(outcome('none', { email: 'ana@example.org' }).said).toBe('basic');
  });

  it('logs which rule was taken', () => {
    expect(outcome('silver').taken).toEqual({
      type: 'journey',
      event: 'branch-taken',
      detail: { node: 'route', rule: 'rules[2]', next: 'metal' },
    });
    expect(outcome('x').taken).toMatchObject({ detail: { rule: 'else', next: 'basic' } });
  });

  it('tests exists: false', () => {
    const flow = flowOf({
      start: 'b',
      nodes: {
        b: {
          type: 'branch',
          rules: [{ when: { attribute: 'name', exists: false }, next: 'ask' }],
          else: 'hi',
        },
        ask: { type: 'ask', text: 'Your name?', attribute: 'name', next: 'hi' },
        hi: { type: 'end', text: 'Hi {{name}}!' },
      },
    });
    expect(texts(new Conversation(flow).start())).toEqual(['Your name?']);
    expect(texts(new Conversation(flow, { attributes: { name: 'Ana' } }).start())).toEqual(['Hi Ana!']);
  });
});
