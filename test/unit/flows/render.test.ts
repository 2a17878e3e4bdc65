import { describe, expect, it } from 'vitest';
import { renderMenu, type FlowNode } from '../../../bot/flows/index.ts';
import { flowOf } from './helpers.ts';

function menu(labels: string[], extra: { listButton?: string; ids?: string[] } = {}) {
  const flow = flowOf({
    start: 'menu',
    nodes: {
      menu: {
        type: 'menu',
        text: 'How can we help?',
        options: labels.map((label, i) => ({
          label,
          next: 'done',
          ...(extra.ids ? { id: extra.ids[i] } : {}),
        })),
        ...(extra.listButton ? { listButton: extra.listButton } : {}),
      },
      done: { type: 'end' },
    },
  });
  return flow.nodes.menu as Extract<FlowNode, { type: 'menu' }>;
}

const interactive = { interactive: true };
const plain = { interactive: false };

describe('menu rendering', () => {
  it('sends numbered text where the channel has no interactive messages', () => {
    const rendered = renderMenu(
      'menu',
      menu(['Track my order', 'Talk to an agent']),
      'How can we help?',
      plain,
    );
    expect(rendered).toEqual({
      style: 'text',
      text: 'How can we help?\n1. Track my order\n2. Talk to an agent',
      options: [
        { id: 'menu:1', number: 1, label: 'Track my order' },
        { id: 'menu:2', number: 2, label: 'Talk to an agent' },
      ],
    });
  });

  it('sends up to three options as reply buttons, ids carrying the node', () => {
    const rendered = renderMenu(
      'menu',
      menu(['Yes', 'No', 'Maybe'], { ids: ['yes', 'no', 'maybe'] }),
      'Sure?',
      interactive,
    );
    expect(rendered.style).toBe('buttons');
    expect(rendered.interactive).toEqual({
      body: 'Sure?',
      style: 'buttons',
      options: [
        { id: 'menu:yes', title: 'Yes' },
        { id: 'menu:no', title: 'No' },
        { id: 'menu:maybe', title: 'Maybe' },
      ],
    });
    // The text version stays complete, for the room's transcript and any fallback.
    expect(rendered.text).toBe('Sure?\n1. Yes\n2. No\n3. Maybe');
  });

  it('sends four to ten options as a list with a button to open it', () => {
    const four = renderMenu('menu', menu(['A', 'B', 'C', 'D']), 'Pick', interactive);
    expect(four.style).toBe('list');
    expect(four.interactive?.listButton).toBe('Options');
    expect(four.interactive?.options.map((o) => o.title)).toEqual(['A', 'B', 'C', 'D']);
    const labels = Array.from({ length: 10 }, (_, i) => `Choice ${i + 1}`);
    const ten = renderMenu('menu', menu(labels, { listButton: 'See choices' }), 'Pick', interactive);
    expect(ten.style).toBe('list');
    expect(ten.interactive?.listButton).toBe('See choices');
    expect(ten.interactive?.options).toHaveLength(10);
  });

  it('falls back to numbered text beyond ten options or for a body too long to be interactive', () => {
    const labels = Array.from({ length: 11 }, (_, i) => `Choice ${i + 1}`);
    const eleven = renderMenu('menu', menu(labels), 'Pick', interactive);
    expect(eleven.style).toBe('text');
    expect(eleven.interactive).toBeUndefined();
    expect(eleven.text.split('\n')).toHaveLength(12);
    const long = renderMenu('menu', menu(['A']), 'x'.repeat(1025), interactive);
    expect(long.style).toBe('text');
    expect(renderMenu('menu', menu(['A']), 'x'.repeat(1024), interactive).style).toBe('buttons');
  });

  it('shortens button titles to 20 characters and keeps the full label in the text', () => {
    const rendered = renderMenu(
      'menu',
      menu(['Change delivery address', 'Talk to an agent']),
      'Hi',
      interactive,
    );
    expect(rendered.interactive?.options[0]).toEqual({ id: 'menu:1', title: 'Change delivery add…' });
    expect(rendered.text).toContain('1. Change delivery address');
  });

  it('shortens list row titles to 24 characters and puts the full label in the description', () => {
    const long = 'Reschedule the delivery to another day';
    const rendered = renderMenu('menu', menu([long, 'B', 'C', 'D']), 'Hi', interactive);
    expect(rendered.interactive?.options[0]).toEqual({
      id: 'menu:1',
      title: 'Reschedule the delivery…',
      description: long,
    });
    expect(rendered.interactive?.options[1]).toEqual({ id: 'menu:2', title: 'B' });
  });

  it('never cuts a title inside an emoji or between a letter and its accent', () => {
    // A cut at 19 code units would fall inside the emoji's surrogate pair and between e and its accent.
    const emoji = `${'a'.repeat(18)}📦 box`;
    const accent = `${'b'.repeat(18)}e\u0301 cafe`;
    const rendered = renderMenu('menu', menu([emoji, accent]), 'Hi', interactive);
    for (const option of rendered.interactive!.options) {
      expect(option.title.length).toBeLessThanOrEqual(20);
      expect(option.title.isWellFormed()).toBe(true);
      expect(option.title).toMatch(/^(a{18}|b{18})…$/);
    }
  });
});
