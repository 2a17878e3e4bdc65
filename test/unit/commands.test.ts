import { describe, expect, it } from 'vitest';
import { ArgumentError, arg, parseArgs, tokenize, usage } from '../../bot/commands/args.ts';
import { defineCommand } from '../../bot/commands/command.ts';
import { readCommandLine } from '../../bot/commands/dispatcher.ts';
import { duration, when } from '../../bot/commands/format.ts';
import { parseConversationRef } from '../../bot/commands/refs.ts';
import { parsePeriod } from '../../bot/reports/stats.ts';
import { CommandSet } from '../../bot/commands/registry.ts';

describe('command lines', () => {
  it('needs the prefix in rooms, not in a DM', () => {
    expect(readCommandLine('!help', '!', false)).toEqual({ name: 'help', rest: '' });
    expect(readCommandLine('help me', '!', false)).toBeUndefined();
    expect(readCommandLine('Help queue', '!', true)).toEqual({ name: 'help', rest: 'queue' });
    expect(readCommandLine('  !transfer @bob:x  now ', '!', false)).toEqual({
      name: 'transfer',
      rest: '@bob:x  now',
    });
    expect(readCommandLine('lc:resolve', 'lc:', false)).toEqual({ name: 'resolve', rest: '' });
    expect(readCommandLine('!!', '!', false)).toBeUndefined();
  });

  it('keeps quoted words together', () => {
    expect(tokenize('tag "big customer" vip')).toEqual(['tag', 'big customer', 'vip']);
    expect(tokenize('say "a \\"quoted\\" word"')).toEqual(['say', 'a "quoted" word']);
  });
});

describe('arguments', () => {
  const args = [
    arg.user('agent', 'who takes it'),
    arg.int('minutes', 'how long', { min: 1, max: 60 }).orOmitted(),
  ] as const;

  it('parses typed values', () => {
    expect(parseArgs(args, '@bob:example.com 5')).toEqual(['@bob:example.com', 5]);
    expect(parseArgs(args, '@bob:example.com')).toEqual(['@bob:example.com', undefined]);
    expect(parseArgs([arg.word('a', ''), arg.rest('text', '')], 'x hello  world')).toEqual([
      'x',
      'hello world',
    ]);
  });

  it('says what was expected', () => {
    expect(() => parseArgs(args, '')).toThrow(new ArgumentError('<agent> is missing'));
    expect(() => parseArgs(args, 'bob')).toThrow(
      /<agent> must be a Matrix user ID like @alice:example.com, not "bob"/,
    );
    expect(() => parseArgs(args, '@bob:x.org 0')).toThrow(
      /<minutes> must be a whole number ≥ 1 and ≤ 60, not "0"/,
    );
    expect(() => parseArgs(args, '@bob:x.org 5 extra')).toThrow(/unexpected "extra"/);
    expect(() => parseArgs([arg.choice('period', '', ['day', 'week'])], 'year')).toThrow(/one of day, week/);
  });

  it('prints usage', () => {
    expect(usage('transfer', args, '!')).toBe('!transfer <agent> [minutes]');
    expect(usage('note', [arg.rest('text', '')], '!')).toBe('!note <text…>');
  });
});

describe('help', () => {
  const noop = async () => undefined;
  const set = new CommandSet().add(
    defineCommand({
      name: 'help',
      summary: 'this list',
      args: [],
      role: 'anyone',
      rooms: ['dm', 'control', 'conversation'],
      run: noop,
    }),
    defineCommand({
      name: 'queue',
      summary: 'waiting conversations',
      args: [],
      role: 'admin',
      rooms: ['control'],
      run: noop,
    }),
    defineCommand({
      name: 'resolve',
      summary: 'close it',
      args: [],
      role: 'agent',
      rooms: ['conversation'],
      run: noop,
    }),
  );

  it('lists only what the caller may run, here first', () => {
    const asAgent = set.help('agent', 'conversation', '!').body;
    expect(asAgent).toContain('!resolve — close it');
    expect(asAgent).not.toContain('queue');
    const asAdmin = set.help('admin', 'dm', '!').body;
    expect(asAdmin.indexOf('!help')).toBeLessThan(asAdmin.indexOf('!queue'));
    expect(asAdmin).toMatch(/in a space's control room:\n {2}!queue — waiting conversations/);
    expect(set.help('anyone', 'dm', '!').body).not.toMatch(/queue|resolve/);
  });

  it('refuses two commands with one name', () => {
    expect(() =>
      set.add(defineCommand({ name: 'queue', summary: '', args: [], role: 'admin', rooms: [], run: noop })),
    ).toThrow(/declared twice/);
  });
});

describe('conversation references', () => {
  it('takes a number, a room ID or a matrix.to link', () => {
    expect(parseConversationRef('#12')).toEqual({ number: 12 });
    expect(parseConversationRef('7')).toEqual({ number: 7 });
    expect(parseConversationRef('!abc:example.com')).toEqual({ roomId: '!abc:example.com' });
    // Room version 12 IDs have no server part.
    expect(parseConversationRef('!Kx3_-aZ')).toEqual({ roomId: '!Kx3_-aZ' });
    expect(parseConversationRef('https://matrix.to/#/%21abc%3Aexample.com?via=example.com')).toEqual({
      roomId: '!abc:example.com',
    });
    expect(() => parseConversationRef('#twelve')).toThrow(ArgumentError);
    expect(() => parseConversationRef('https://example.com/#/!abc:x')).toThrow(
      /conversation number like #12/,
    );
  });
});

describe('periods and durations', () => {
  const now = new Date('2026-03-14T09:26:53Z');

  it('reads today, week, month and Nd', () => {
    expect(parsePeriod('today', now)).toEqual({
      from: new Date('2026-03-14T00:00:00Z'),
      to: now,
      label: 'today (since 00:00 UTC)',
    });
    expect(parsePeriod(undefined, now).from).toEqual(new Date('2026-03-07T09:26:53Z'));
    expect(parsePeriod('month', now).label).toBe('the last 30 days');
    expect(parsePeriod('1d', now).label).toBe('the last 1 day');
    expect(() => parsePeriod('0d', now)).toThrow(/today, week, month/);
    expect(() => parsePeriod('366d', now)).toThrow(/1–365/);
    expect(() => parsePeriod('year', now)).toThrow(/not "year"/);
  });

  it('writes durations and times for people', () => {
    expect(duration(42.4)).toBe('42 s');
    expect(duration(95)).toBe('1 min 35 s');
    expect(duration(754)).toBe('12 min');
    expect(duration(7260)).toBe('2 h 1 min');
    expect(duration(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
    expect(when(now)).toBe('2026-03-14 09:26 UTC');
  });
});
