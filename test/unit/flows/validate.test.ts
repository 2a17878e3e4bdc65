import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  FlowError,
  flowSchema,
  formatProblem,
  unwrapFlow,
  validateFlow,
  type FlowDefinition,
} from '../../../bot/flows/index.ts';

/** A definition under test: any key may be set to anything, valid or not. */
type Loose = Omit<FlowDefinition, 'nodes' | 'version'> & {
  version?: unknown;
  nodes: Record<string, Record<string, unknown>>;
};

/** A small valid flow to break in one place at a time. */
function base(): Loose {
  return {
    start: 'menu',
    nodes: {
      menu: {
        type: 'menu',
        text: 'How can we help?',
        options: [
          { label: 'Track my order', keywords: ['track'], next: 'ask_order' },
          { label: 'Talk to an agent', next: 'agent' },
        ],
      },
      ask_order: {
        type: 'question',
        text: 'Order number?',
        attribute: 'order',
        validate: 'number',
        next: 'done',
      },
      done: { type: 'end', text: 'Thanks!' },
      agent: { type: 'handover', reason: 'asked' },
    },
  };
}

function errorsOf(raw: unknown, options = {}): string[] {
  const result = validateFlow(raw, options);
  return result.ok ? [] : result.errors.map((p) => `${p.path}: ${p.message}`);
}

function warningsOf(raw: unknown, options = {}): string[] {
  return validateFlow(raw, options).warnings.map((p) => `${p.path}: ${p.message}`);
}

function withNode(id: string, node: Record<string, unknown>, mutate?: (f: ReturnType<typeof base>) => void) {
  const flow = base();
  flow.nodes[id] = node;
  mutate?.(flow);
  return flow;
}

describe('flow shape', () => {
  it('accepts a valid flow, fills defaults and keeps "ask" as a question', () => {
    const flow = base();
    flow.nodes.ask_order!.type = 'ask';
    const result = validateFlow(flow);
    expect(result).toMatchObject({ ok: true, warnings: [] });
    const parsed = unwrapFlow(result);
    expect(parsed.maxMisses).toBe(3);
    expect(parsed.nodes.ask_order!.type).toBe('ask');
  });

  it('names an unknown validator by its node', () => {
    const flow = withNode('ask_email', {
      type: 'ask',
      text: 'Email?',
      attribute: 'email',
      validate: 'emial',
      next: 'done',
    });
    flow.nodes.menu!.options = [
      ...(flow.nodes.menu!.options as object[]),
      { label: 'Email', next: 'ask_email' },
    ];
    expect(errorsOf(flow)).toEqual([
      'nodes.ask_email.validate: unknown validator "emial" (expected text, email, number, phone, date or {regex, message})',
    ]);
  });

  it('checks a custom validator: its regex compiles and it has a message', () => {
    const flow = withNode('q', {
      type: 'question',
      text: 'Code?',
      attribute: 'code',
      validate: { regex: '([' },
      next: 'done',
    });
    expect(errorsOf(flow)).toEqual([
      expect.stringMatching(/^nodes\.q\.validate\.regex: invalid regular expression \(.+\)$/),
      'nodes.q.validate.message: required',
    ]);
    expect(
      errorsOf(
        withNode('q', { type: 'question', text: 'Code?', attribute: 'code', validate: 5, next: 'done' }),
      ),
    ).toEqual(['nodes.q.validate: must be one of text, email, number, phone, date or {regex, message}']);
  });

  it('names unknown and missing node types', () => {
    expect(errorsOf(withNode('x', { type: 'menux', text: 'a' }))).toEqual([
      'nodes.x.type: unknown node type "menux" (expected one of message, menu, question, ask, branch, handover, end)',
    ]);
    expect(errorsOf(withNode('x', { text: 'a' }))).toEqual([
      'nodes.x.type: required (one of message, menu, question, ask, branch, handover, end)',
    ]);
  });

  it('refuses an empty menu', () => {
    expect(errorsOf(withNode('m', { type: 'menu', text: 'Pick', options: [] }))).toEqual([
      'nodes.m.options: a menu needs at least one option',
    ]);
  });

  it('reports wrong types, missing and unknown keys, all at once', () => {
    const flow = withNode('a', { type: 'message', txt: 'hi', next: 3 });
    flow.nodes.done!.text = '';
    expect(errorsOf(flow)).toEqual(
      expect.arrayContaining([
        'nodes.a.text: required',
        'nodes.a.txt: unknown key',
        'nodes.a.next: must be a string, got number 3',
        'nodes.done.text: must not be empty',
      ]),
    );
  });

  it('checks node ids, attribute names, limits and the format version', () => {
    const flow = withNode('bad id', { type: 'end' }, (f) => {
      f.version = 2;
      f.maxMisses = 0;
      f.nodes.ask_order!.attribute = '1st';
      f.nodes.menu!.listButton = 'A list button text that is far too long';
    });
    expect(errorsOf(flow)).toEqual(
      expect.arrayContaining([
        'version: must be 1',
        'maxMisses: Too small: expected number to be >=1',
        'nodes.bad id: bad key: must be 1–64 letters, digits, "_" or "-"',
        'nodes.ask_order.attribute: must start with a letter or "_" (then letters, digits, _ . -)',
        'nodes.menu.listButton: must be at most 20 characters (WhatsApp limit)',
      ]),
    );
  });

  it('wants exactly one test per branch rule', () => {
    const branch = (when: object) =>
      withNode('b', { type: 'branch', rules: [{ when, next: 'done' }], else: 'done' }, (f) => {
        f.start = 'b';
      });
    expect(errorsOf(branch({ attribute: 'vip' }))).toEqual([
      'nodes.b.rules[0].when: give exactly one of equals, in, exists, matches',
    ]);
    expect(errorsOf(branch({ attribute: 'vip', equals: 'yes', exists: true }))).toEqual([
      'nodes.b.rules[0].when: give exactly one of equals, in, exists, matches',
    ]);
    expect(errorsOf(branch({ attribute: 'vip', matches: '(' }))[0]).toMatch(
      /^nodes\.b\.rules\[0\]\.when\.matches: invalid regular expression/,
    );
    expect(errorsOf(withNode('b', { type: 'branch', rules: [], else: 'done' }))).toEqual([
      'nodes.b.rules: a branch needs at least one rule',
    ]);
  });

  it('refuses an object that is not a flow', () => {
    expect(errorsOf(null)).toEqual([': must be an object, got null']);
    expect(errorsOf({})).toEqual(['start: required', 'nodes: required']);
  });
});

describe('references between nodes', () => {
  it('names a missing start node', () => {
    const flow = base();
    flow.start = 'begin';
    expect(errorsOf(flow)).toEqual(['start: no node "begin"']);
  });

  it('names every reference to a missing node, at its field', () => {
    const flow = base();
    flow.nodes.menu!.options = [
      { label: 'Track my order', next: 'ask_order' },
      { label: 'Where is it?', next: 'track' },
    ];
    flow.nodes.ask_order!.next = 'finish';
    flow.nodes.hello = { type: 'message', text: 'Hi', next: 'nowhere' };
    flow.nodes.route = {
      type: 'branch',
      rules: [{ when: { attribute: 'vip', exists: true }, next: 'vip' }],
      else: 'other',
    };
    expect(errorsOf(flow)).toEqual([
      'nodes.menu.options[1].next: no node "track"',
      'nodes.ask_order.next: no node "finish"',
      'nodes.hello.next: no node "nowhere"',
      'nodes.route.rules[0].next: no node "vip"',
      'nodes.route.else: no node "other"',
    ]);
  });
});

describe('menu choices', () => {
  const menuWith = (options: object[]) =>
    withNode('m', { type: 'menu', text: 'Pick', options }, (f) => {
      f.start = 'm';
    });

  it('refuses duplicate option ids', () => {
    expect(
      errorsOf(
        menuWith([
          { id: 'a', label: 'One', next: 'menu' },
          { id: 'a', label: 'Two', next: 'menu' },
        ]),
      ),
    ).toEqual(['nodes.m.options[1].id: duplicate option id "a" (options[0] has it too)']);
  });

  it('refuses an id that equals the number another option answers to', () => {
    // Without an id, option 2's reply id is "m:2".
    expect(
      errorsOf(
        menuWith([
          { id: '2', label: 'One', next: 'menu' },
          { label: 'Two', next: 'menu' },
        ]),
      ),
    ).toEqual(['nodes.m.options[0].id: "2" is the reply id of options[1], which has no id of its own']);
  });

  it('refuses a keyword or label that chooses two options, however it is written', () => {
    expect(
      errorsOf(
        menuWith([
          { label: 'Track', keywords: ['where'], next: 'menu' },
          { label: 'Address', keywords: ['WHÉRE!'], next: 'menu' },
          { label: 'track', next: 'menu' },
        ]),
      ),
    ).toEqual([
      'nodes.m.options[1].keywords[0]: "WHÉRE!" also chooses options[0]',
      'nodes.m.options[2].label: "track" also chooses options[0]',
    ]);
  });

  it('refuses a number as a keyword when it is another option number', () => {
    expect(
      errorsOf(
        menuWith([
          { label: 'One', keywords: ['2'], next: 'menu' },
          { label: 'Two', next: 'menu' },
        ]),
      ),
    ).toEqual(['nodes.m.options[0].keywords[0]: "2" would choose options[1] by its number']);
    // Its own number, or a number beyond the menu, is harmless.
    expect(errorsOf(menuWith([{ label: 'One', keywords: ['1', '7'], next: 'menu' }]))).toEqual([]);
  });

  it('refuses keywords with no word left', () => {
    expect(errorsOf(menuWith([{ label: 'One', keywords: ['?!'], next: 'menu' }]))).toEqual([
      'nodes.m.options[0].keywords[0]: has no word left once case, accents and punctuation are ignored',
    ]);
    expect(errorsOf({ ...base(), handoverKeywords: ['ok', '...'] })).toEqual([
      'handoverKeywords[1]: has no word left once case, accents and punctuation are ignored',
    ]);
  });

  it('warns when a menu answer is a handover keyword (global or the flow’s own)', () => {
    const flow = menuWith([
      { label: 'Agent', next: 'menu' },
      { label: 'Other', keywords: ['operator', 'pessoa'], next: 'menu' },
    ]);
    flow.handoverKeywords = ['pessoa'];
    expect(warningsOf(flow, { handoverKeywords: ['agent', 'operator'] })).toEqual([
      'nodes.m.options[0].label: "Agent" is a handover keyword: it asks for an agent wherever it is typed',
      'nodes.m.options[1].keywords[0]: "operator" is a handover keyword: it asks for an agent wherever it is typed',
      'nodes.m.options[1].keywords[1]: "pessoa" is a handover keyword: it asks for an agent wherever it is typed',
    ]);
  });

  it('warns when a menu cannot be interactive on WhatsApp', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => ({ label: `Option ${i + 1}`, next: 'menu' }));
    expect(warningsOf(menuWith(eleven))).toContain(
      'nodes.m.options: 11 options: more than a WhatsApp list holds (10), so the menu is always sent as numbered text',
    );
    const long = withNode(
      'm',
      { type: 'menu', text: 'x'.repeat(1025), options: [{ label: 'A', next: 'menu' }] },
      (f) => {
        f.start = 'm';
      },
    );
    expect(warningsOf(long)).toContain(
      'nodes.m.text: longer than 1024 characters, the most an interactive message holds, so the menu is always sent as numbered text',
    );
  });

  it('warns when two labels look the same once shortened for buttons', () => {
    expect(
      warningsOf(
        menuWith([
          { label: 'Delivery address for home', next: 'menu' },
          { label: 'Delivery address for work', next: 'menu' },
        ]),
      ),
    ).toContain(
      'nodes.m.options[1].label: shortened to "Delivery address fo…" on WhatsApp buttons, like options[0]: customers cannot tell them apart',
    );
  });
});

describe('graph checks', () => {
  it('warns about unreachable nodes without refusing the flow', () => {
    const flow = withNode('orphan', { type: 'message', text: 'Never sent' });
    const result = validateFlow(flow);
    expect(result.ok).toBe(true);
    expect(result.warnings.map(formatProblem)).toEqual([
      'nodes.orphan: unreachable: no path from start "menu"',
    ]);
  });

  it('refuses a loop of messages that never waits, naming it', () => {
    const flow = base();
    flow.nodes.ask_order!.next = 'a';
    flow.nodes.a = { type: 'message', text: 'A', next: 'b' };
    flow.nodes.b = { type: 'message', text: 'B', next: 'a' };
    expect(errorsOf(flow)).toEqual(['nodes.a: loops forever without waiting for the customer: a → b → a']);
  });

  it('refuses a message that leads to itself, and loops through branches', () => {
    const flow = base();
    flow.nodes.ask_order!.next = 'route';
    flow.nodes.self = { type: 'message', text: 'again', next: 'self' };
    flow.nodes.route = {
      type: 'branch',
      rules: [{ when: { attribute: 'vip', equals: 'yes' }, next: 'vip' }],
      else: 'done',
    };
    flow.nodes.vip = { type: 'message', text: 'Hello VIP', next: 'route' };
    expect(errorsOf(flow)).toEqual([
      'nodes.self: loops forever without waiting for the customer: self → self',
      'nodes.route: loops forever without waiting for the customer: route → vip → route',
    ]);
  });

  it('accepts loops that wait for the customer', () => {
    const flow = base();
    flow.nodes.done = { type: 'message', text: 'Anything else?', next: 'menu' };
    flow.nodes.ask_order!.next = 'done';
    expect(validateFlow(flow)).toMatchObject({ ok: true, warnings: [] });
  });
});

describe('errors for callers', () => {
  it('throws a FlowError listing every error', () => {
    const flow = base();
    flow.start = 'begin';
    flow.nodes.ask_order!.next = 'finish';
    expect(() => unwrapFlow(validateFlow(flow))).toThrow(FlowError);
    expect(() => unwrapFlow(validateFlow(flow))).toThrow(
      'Invalid campaign flow:\n  start: no node "begin"\n  nodes.ask_order.next: no node "finish"',
    );
  });

  it('exports a JSON Schema for the API documentation', () => {
    const schema = z.toJSONSchema(flowSchema, { io: 'input' }) as {
      required: string[];
      properties: Record<string, { description?: string; additionalProperties?: { oneOf: unknown[] } }>;
    };
    expect(schema.required).toEqual(['start', 'nodes']);
    expect(schema.properties.maxMisses!.description).toMatch(/hands over/);
    expect(schema.properties.nodes!.additionalProperties!.oneOf).toHaveLength(6);
    expect(JSON.stringify(schema)).toContain('"enum":["text","email","number","phone","date"]');
  });
});
