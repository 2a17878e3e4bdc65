import { describe, expect, it } from 'vitest';
import { flowSchema, FlowRunError, step, type FlowState } from '../../../bot/flows/index.ts';
import { context, Conversation, effects, flowOf, journeyEvents, NOW, texts } from './helpers.ts';
import { shop, shopDefinitionWith } from './fixtures.ts';

describe('handover', () => {
  it('by node: says its text and carries reason and skill for agents', () => {
    const chat = new Conversation(shop);
    chat.start();
    const actions = chat.say('3');
    expect(effects(actions)).toEqual([
      { type: 'send', text: 'Connecting you…' },
      { type: 'handover', trigger: 'node', node: 'to_agent', reason: 'customer asked', skill: 'support' },
    ]);
    expect(chat.state).toMatchObject({ status: 'handover', node: 'to_agent' });
  });

  it.each(['agent', 'Agent', 'AGÉNT', ' human ', 'Human!'])(
    'by the global keyword %j from any waiting node',
    (word) => {
      for (const answers of [[], ['1']]) {
        const chat = new Conversation(shop);
        chat.start();
        for (const answer of answers) chat.say(answer);
        const node = chat.state!.node;
        expect(effects(chat.say(word))).toEqual([
          { type: 'handover', trigger: 'keyword', node, reason: `asked for an agent ("${word.trim()}")` },
        ]);
        expect(chat.state?.status).toBe('handover');
      }
    },
  );

  it("by the flow's own keywords, and by configured global keywords instead of the defaults", () => {
    const flow = flowOf({ ...shopDefinitionWith({ handoverKeywords: ['atendente'] }) });
    const chat = new Conversation(flow, { globalHandoverKeywords: ['operator'] });
    chat.start();
    expect(journeyEvents(chat.say('agent'))).toEqual(['not-understood']);
    expect(effects(chat.say('Atendente'))).toEqual([
      expect.objectContaining({ type: 'handover', trigger: 'keyword' }),
    ]);
    const other = new Conversation(flow, { globalHandoverKeywords: ['operator'] });
    other.start();
    expect(effects(other.say('OPERATOR'))).toEqual([
      expect.objectContaining({ type: 'handover', trigger: 'keyword' }),
    ]);
  });

  it('not for a keyword inside a sentence', () => {
    const chat = new Conversation(shop);
    chat.start();
    expect(journeyEvents(chat.say('I want an agent'))).toEqual(['not-understood']);
  });
});

describe('after the flow', () => {
  it('tells the caller the flow is over, for any input', () => {
    const chat = new Conversation(shop);
    chat.start();
    chat.say('2');
    const ended = chat.state;
    for (const input of ['hello', '1', '']) {
      expect(chat.say(input)).toEqual([{ type: 'end', reason: 'already-over' }]);
      expect(chat.state).toEqual(ended);
    }
    expect(chat.tap('menu:track')).toEqual([{ type: 'end', reason: 'already-over' }]);
  });

  it('still hands over on a keyword once the flow ended, but not after a handover', () => {
    const chat = new Conversation(shop);
    chat.start();
    chat.say('2');
    expect(effects(chat.say('agent'))).toEqual([
      expect.objectContaining({ type: 'handover', trigger: 'keyword', node: 'hours' }),
    ]);
    expect(chat.say('agent')).toEqual([{ type: 'end', reason: 'already-over' }]);
  });

  it('answers every input with at least one action, whatever the state', () => {
    const inputs = ['', '1', '2', '3', '9', 'agent', 'Track my order', '123', 'zzz'];
    for (const first of inputs) {
      for (const second of inputs) {
        const chat = new Conversation(shop, { capabilities: { interactive: first.length % 2 === 0 } });
        expect(chat.start().length).toBeGreaterThan(0);
        expect(chat.say(first).length).toBeGreaterThan(0);
        expect(chat.say(second).length).toBeGreaterThan(0);
        expect(chat.say(second, { hasMedia: true }).length).toBeGreaterThan(0);
      }
    }
  });
});

describe('versions', () => {
  const v1 = flowOf({
    start: 'ask',
    nodes: {
      ask: { type: 'ask', text: 'Name?', attribute: 'name', next: 'bye' },
      bye: { type: 'end', text: 'Bye from v1' },
    },
  });
  const v2 = flowOf({
    start: 'menu',
    nodes: {
      menu: { type: 'menu', text: 'Pick', options: [{ label: 'Bye', next: 'bye' }] },
      bye: { type: 'end', text: 'Bye from v2' },
    },
  });

  it('keeps a running conversation on the version it started with', () => {
    const running = step(v1, undefined, { kind: 'start' }, context()).state;
    expect(running.flowVersion).toMatch(/^sha256:[0-9a-f]{16}$/);
    // The campaign is edited: new runs get v2, the running one finishes on v1.
    const fresh = step(v2, undefined, { kind: 'start' }, context());
    expect(fresh.state.node).toBe('menu');
    expect(fresh.state.flowVersion).not.toBe(running.flowVersion);
    expect(texts(step(v1, running, { kind: 'message', text: 'Ana' }, context()).actions)).toEqual([
      'Bye from v1',
    ]);
  });

  it('refuses to continue a run with another version of the flow', () => {
    const running = step(v1, undefined, { kind: 'start' }, context()).state;
    expect(() => step(v2, running, { kind: 'message', text: 'Ana' }, context())).toThrow(
      expect.objectContaining({ name: 'FlowRunError', code: 'version-mismatch' }),
    );
  });

  it("stores the caller's version id when given, and checks it", () => {
    const running = step(v1, undefined, { kind: 'start' }, context({ flowVersion: 'rev-7' })).state;
    expect(running.flowVersion).toBe('rev-7');
    expect(
      step(v1, running, { kind: 'message', text: 'Ana' }, context({ flowVersion: 'rev-7' })).state.status,
    ).toBe('ended');
    expect(() =>
      step(v1, running, { kind: 'message', text: 'Ana' }, context({ flowVersion: 'rev-8' })),
    ).toThrow(FlowRunError);
  });

  it('fingerprints the content, not the key order', () => {
    const reordered = flowOf({
      nodes: {
        bye: { text: 'Bye from v1', type: 'end' },
        ask: { next: 'bye', attribute: 'name', text: 'Name?', type: 'ask' },
      },
      start: 'ask',
    });
    const a = step(v1, undefined, { kind: 'start' }, context()).state.flowVersion;
    const b = step(reordered, undefined, { kind: 'start' }, context()).state.flowVersion;
    expect(a).toBe(b);
  });

  it('refuses a state that is not a flow state', () => {
    const running = step(v1, undefined, { kind: 'start' }, context()).state;
    const corrupt = { ...running, misses: -1 } as FlowState;
    expect(() => step(v1, corrupt, { kind: 'message', text: 'x' }, context())).toThrow(
      expect.objectContaining({ code: 'bad-state' }),
    );
  });
});

describe('definitions that skipped validation', () => {
  it('stops a loop that never waits instead of sending forever', () => {
    // Shape-valid only: validateFlow refuses this loop, but a caller could hand the schema's output over.
    const loop = flowSchema.parse({
      start: 'a',
      nodes: { a: { type: 'message', text: 'A', next: 'b' }, b: { type: 'message', text: 'B', next: 'a' } },
    });
    expect(() => step(loop, undefined, { kind: 'start' }, context())).toThrow(
      expect.objectContaining({ name: 'FlowRunError', code: 'loop' }),
    );
  });

  it('refuses a state waiting at a node that does not wait', () => {
    const running = step(shop, undefined, { kind: 'start' }, context()).state;
    expect(() =>
      step(shop, { ...running, node: 'hours' }, { kind: 'message', text: '1' }, context()),
    ).toThrow(
      expect.objectContaining({
        code: 'bad-state',
        message: 'node "hours" (message) does not wait for answers',
      }),
    );
    expect(() => step(shop, { ...running, node: 'gone' }, { kind: 'message', text: '1' }, context())).toThrow(
      expect.objectContaining({ code: 'bad-state', message: 'the flow has no node "gone"' }),
    );
  });
});

describe('state', () => {
  it('keeps the visited path bounded', () => {
    const flow = flowOf({
      start: 'm',
      nodes: {
        m: { type: 'menu', text: 'Pick', options: [{ label: 'Again', next: 'say' }] },
        say: { type: 'message', text: 'Once more', next: 'm' },
      },
    });
    const chat = new Conversation(flow);
    chat.start();
    for (let i = 0; i < 40; i++) chat.say('1');
    expect(chat.state?.path).toHaveLength(50);
    expect(chat.state?.path.at(-1)).toBe('m');
  });

  it('records the time passed in, never the clock', () => {
    const later = new Date('2026-03-15T08:00:00.000Z');
    const started = step(shop, undefined, { kind: 'start' }, context()).state;
    const next = step(shop, started, { kind: 'message', text: '1' }, context({ now: later })).state;
    expect(next).toMatchObject({ startedAt: NOW.toISOString(), updatedAt: later.toISOString() });
  });
});
