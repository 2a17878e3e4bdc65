import { describe, expect, it } from 'vitest';
import { DEFAULT_FALLBACK, step } from '../../../bot/flows/index.ts';
import { context, Conversation, effects, flowOf, journeyEvents, NOW, texts } from './helpers.ts';
import { sends, shop, shopDefinitionWith } from './fixtures.ts';

describe('starting a run', () => {
  it('says the messages and stops at the first node that waits', () => {
    const chat = new Conversation(shop);
    const actions = chat.start();
    expect(texts(actions)).toEqual([
      'Welcome to the shop!',
      'How can we help?\n1. Track my order\n2. Opening hours\n3. Talk to an agent',
    ]);
    expect(journeyEvents(actions)).toEqual(['flow-started', 'node-entered', 'node-entered']);
    expect(chat.state).toMatchObject({
      format: 1,
      status: 'waiting',
      node: 'menu',
      misses: 0,
      path: ['hello', 'menu'],
      startedAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
  });

  it('starts a run on any first input, and restarts on a start input', () => {
    const first = step(shop, undefined, { kind: 'message', text: 'Help Package' }, context());
    expect(first.state.node).toBe('menu');
    const middle = step(shop, first.state, { kind: 'message', text: '1' }, context()).state;
    expect(middle.node).toBe('ask_order');
    const again = step(shop, middle, { kind: 'start' }, context());
    expect(again.state).toMatchObject({ node: 'menu', path: ['hello', 'menu'] });
    expect(again.actions[0]).toEqual({
      type: 'journey',
      event: 'flow-started',
      detail: { node: 'hello', flowVersion: again.state.flowVersion, restarted: true },
    });
  });

  it('offers buttons on interactive channels', () => {
    const chat = new Conversation(shop, { capabilities: { interactive: true } });
    const menu = sends(chat.start())[1]!;
    expect(menu.style).toBe('buttons');
    expect(menu.interactive?.options.map((o) => o.id)).toEqual(['menu:track', 'menu:2', 'menu:agent']);
    expect(menu.options?.map((o) => o.label)).toEqual([
      'Track my order',
      'Opening hours',
      'Talk to an agent',
    ]);
  });
});

describe('menus', () => {
  it.each([
    ['2', 'number'],
    ['2.', 'number'],
    ['#2', 'number'],
    [' 2) ', 'number'],
    ['Opening hours', 'label'],
    ['OPENING  HOURS!', 'label'],
    ['opening hóurs?', 'label'],
  ])('chooses an option from %j (by %s)', (text, by) => {
    const chat = new Conversation(shop);
    chat.start();
    const actions = chat.say(text);
    expect(actions[0]).toEqual({
      type: 'journey',
      event: 'option-chosen',
      detail: { node: 'menu', option: '2', number: 2, label: 'Opening hours', by },
    });
    expect(texts(actions)).toEqual(['We are open 9–17.']);
    expect(effects(actions).at(-1)).toEqual({ type: 'end', reason: 'no-next' });
    expect(chat.state?.status).toBe('ended');
  });

  it('chooses by keyword, as a whole message only', () => {
    const chat = new Conversation(shop);
    chat.start();
    expect(chat.say('Where is it?')[0]).toMatchObject({ detail: { option: 'track', by: 'keyword' } });
    const other = new Conversation(shop);
    other.start();
    expect(journeyEvents(other.say('track it please'))).toEqual(['not-understood']);
  });

  it('chooses by the reply id of a tapped button or row, or the option id', () => {
    const chat = new Conversation(shop, { capabilities: { interactive: true } });
    chat.start();
    expect(chat.tap('menu:track', 'Track my order')[0]).toMatchObject({
      detail: { option: 'track', by: 'reply' },
    });
    const other = new Conversation(shop);
    other.start();
    expect(other.tap('agent')[0]).toMatchObject({ detail: { option: 'agent', by: 'reply' } });
  });

  it("reads a stale button's title as text, and misses when the title means nothing here", () => {
    const chat = new Conversation(shop);
    chat.start();
    expect(chat.tap('old_menu:1', 'Opening hours')[0]).toMatchObject({
      detail: { option: '2', by: 'label' },
    });
    const other = new Conversation(shop);
    other.start();
    expect(journeyEvents(other.tap('old_menu:1', 'Yes please'))).toEqual(['not-understood']);
    expect(journeyEvents(other.tap('old_menu:1'))).toEqual(['not-understood']);
  });

  it('a number outside the menu is not understood', () => {
    const chat = new Conversation(shop);
    chat.start();
    expect(journeyEvents(chat.say('4'))).toEqual(['not-understood']);
    expect(journeyEvents(chat.say('0'))).toEqual(['not-understood']);
  });
});

describe('answers not understood', () => {
  it('repeats the options after the default fallback, then hands over after maxMisses in a row', () => {
    const chat = new Conversation(shop);
    chat.start();
    const first = chat.say('hmm');
    expect(first).toEqual([
      { type: 'journey', event: 'not-understood', detail: { node: 'menu', misses: 1 } },
      expect.objectContaining({
        type: 'send',
        text: `${DEFAULT_FALLBACK}\n1. Track my order\n2. Opening hours\n3. Talk to an agent`,
      }),
    ]);
    expect(chat.state).toMatchObject({ status: 'waiting', node: 'menu', misses: 1 });
    expect(chat.say('', { hasMedia: true })[0]).toMatchObject({
      event: 'not-understood',
      detail: { misses: 2 },
    });
    const third = chat.say('???');
    expect(effects(third)).toEqual([
      {
        type: 'handover',
        trigger: 'misses',
        node: 'menu',
        reason: 'not understood 3 times in a row at "menu"',
      },
    ]);
    expect(texts(third)).toEqual([]);
    expect(chat.state).toMatchObject({ status: 'handover', node: 'menu' });
  });

  it('counts only misses in a row at one node', () => {
    const flow = flowOf({
      start: 'm',
      nodes: {
        m: { type: 'menu', text: 'Pick', options: [{ label: 'Again', next: 'm' }] },
      },
    });
    const chat = new Conversation(flow);
    chat.start();
    chat.say('x');
    chat.say('y');
    chat.say('again');
    expect(chat.state).toMatchObject({ status: 'waiting', misses: 0 });
    chat.say('x');
    expect(chat.state).toMatchObject({ status: 'waiting', misses: 1 });
  });

  it("uses the menu's fallback, else the flow's, and keeps buttons on interactive channels", () => {
    const definition = {
      start: 'm',
      fallback: { text: 'Please pick one.' },
      nodes: { m: { type: 'menu' as const, text: 'Pick', options: [{ label: 'A', next: 'm' }] } },
    };
    const flowLevel = new Conversation(flowOf(definition), { capabilities: { interactive: true } });
    flowLevel.start();
    const [resend] = sends(flowLevel.say('b'));
    expect(resend).toMatchObject({ text: 'Please pick one.\n1. A', style: 'buttons' });
    expect(resend?.interactive).toEqual({
      body: 'Please pick one.',
      style: 'buttons',
      options: [{ id: 'm:1', title: 'A' }],
    });

    const own = flowOf({
      ...definition,
      nodes: { m: { ...definition.nodes.m, fallback: 'Only A, sorry.' } },
    });
    const nodeLevel = new Conversation(own);
    nodeLevel.start();
    expect(texts(nodeLevel.say('b'))).toEqual(['Only A, sorry.\n1. A']);
  });

  it('honours a custom maxMisses', () => {
    const flow = flowOf({ ...shopDefinitionWith({ maxMisses: 1 }) });
    const chat = new Conversation(flow);
    chat.start();
    expect(effects(chat.say('nope'))).toEqual([
      expect.objectContaining({ type: 'handover', trigger: 'misses' }),
    ]);
  });
});
