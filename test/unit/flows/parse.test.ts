import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem, parseFlow } from '../../../bot/flows/index.ts';

function problems(text: string, format: 'yaml' | 'json'): string[] {
  const result = parseFlow(text, format);
  return result.ok ? [] : result.errors.map(formatProblem);
}

const yamlFlow = `start: menu
nodes:
  menu:
    type: menu
    text: How can we help?
    options:
      - label: Track my order
        next: ask_email
      - label: Talk to an agent
        next: agent
  ask_email:
    type: ask
    text: Your email?
    attribute: email
    validate: email
    next: done
  done: { type: end, text: Thanks! }
  agent: { type: handover }
`;

describe('parseFlow', () => {
  it('reads a valid YAML flow', () => {
    const result = parseFlow(yamlFlow, 'yaml');
    expect(result.ok && result.flow.nodes.ask_email).toEqual({
      type: 'ask',
      text: 'Your email?',
      attribute: 'email',
      validate: 'email',
      next: 'done',
    });
  });

  it('locates YAML syntax errors by line and column', () => {
    const broken = 'start: menu\nnodes:\n  menu:\n    type: menu\n    options: [a, b\n';
    const result = parseFlow(broken, 'yaml');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      { path: '', message: expect.stringMatching(/^YAML syntax: \S/), line: 6, column: 1 },
    ]);
  });

  it('refuses duplicate keys (a node defined twice) instead of keeping the last', () => {
    const twice = `${yamlFlow}  done: { type: end }\n`;
    expect(problems(twice, 'yaml')).toEqual(['YAML syntax: Map keys must be unique (line 19, column 3)']);
  });

  it('adds the line and column to validation problems', () => {
    const bad = yamlFlow.replace('validate: email', 'validate: emial').replace('next: agent', 'next: agnet');
    expect(problems(bad, 'yaml')).toEqual([
      'nodes.ask_email.validate: unknown validator "emial" (expected text, email, number, phone, date or {regex, message}) (line 15, column 15)',
    ]);
    expect(problems(yamlFlow.replace('next: agent', 'next: agnet'), 'yaml')).toEqual([
      'nodes.menu.options[1].next: no node "agnet" (line 10, column 15)',
    ]);
  });

  it('places a missing key at its parent and an unknown key at the key', () => {
    const missing = yamlFlow
      .replace('    attribute: email\n', '')
      .replace('    text: Your email?', '    txt: Your email?');
    expect(problems(missing, 'yaml')).toEqual([
      'nodes.ask_email.text: required (line 12, column 5)',
      'nodes.ask_email.attribute: required (line 12, column 5)',
      'nodes.ask_email.txt: unknown key (line 13, column 5)',
    ]);
  });

  it('locates warnings too', () => {
    const result = parseFlow(`${yamlFlow}  orphan: { type: end }\n`, 'yaml');
    expect(result.warnings.map(formatProblem)).toEqual([
      'nodes.orphan: unreachable: no path from start "menu" (line 19, column 11)',
    ]);
  });

  it('refuses an empty document', () => {
    expect(problems('', 'yaml')).toEqual(['the document is empty']);
    expect(problems('# only a comment\n', 'yaml')).toEqual(['the document is empty']);
    expect(problems('- a list\n', 'yaml')).toEqual(['must be an object, got a list (line 1, column 1)']);
  });

  it('reads JSON, with positions for syntax errors, duplicate keys and validation problems', () => {
    const json = JSON.stringify({ start: 'a', nodes: { a: { type: 'end', text: 'Bye' } } }, null, 2);
    expect(parseFlow(json, 'json').ok).toBe(true);
    expect(problems('{\n  "start": "a",\n  nodes: {}\n}', 'json')).toEqual([
      expect.stringMatching(/^JSON syntax: .+ \(line 3, column 3\)$/),
    ]);
    expect(problems('{"start": "a", "nodes": {"a": {"type": "end"}, "a": {"type": "end"}}}', 'json')).toEqual(
      ['JSON syntax: Map keys must be unique (line 1, column 48)'],
    );
    expect(problems('{\n  "start": "b",\n  "nodes": {"a": {"type": "end"}}\n}', 'json')).toEqual([
      'start: no node "b" (line 2, column 12)',
    ]);
  });

  it('does not take YAML for JSON', () => {
    expect(problems('start: a\nnodes: {a: {type: end}}\n', 'json')[0]).toMatch(/^JSON syntax: /);
  });
});

describe('the README example', () => {
  it('is a valid flow', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Campaign flows'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBeDefined();
    expect(parseFlow(example!, 'yaml')).toMatchObject({ ok: true, warnings: [] });
  });
});
