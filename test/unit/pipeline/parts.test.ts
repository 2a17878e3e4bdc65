import { describe, expect, it } from 'vitest';
import { planParts, splitByLength, splitText } from '../../../bridge/outbox/parts.ts';
import type { Capabilities } from '../../../bridge/providers/types.ts';

const sms: Capabilities = {
  media: true,
  interactive: false,
  templates: false,
  readReceipts: false,
  markRead: false,
  maxTextLength: 1600,
  segmented: true,
};
const whatsapp: Capabilities = {
  ...sms,
  interactive: true,
  templates: true,
  maxTextLength: 4096,
  segmented: false,
};

describe('SMS segments and splitting', () => {
  it('counts GSM-7 segments: 160 in one, 153 per part after that, extension characters double', () => {
    expect(splitText('a'.repeat(160), sms)).toEqual({ texts: ['a'.repeat(160)], segments: 1 });
    expect(splitText('a'.repeat(161), sms).segments).toBe(2);
    expect(splitText('a'.repeat(306), sms).segments).toBe(2);
    expect(splitText('a'.repeat(307), sms).segments).toBe(3);
    expect(splitText('€'.repeat(80), sms).segments).toBe(1);
    expect(splitText('€'.repeat(81), sms).segments).toBe(2);
  });

  it('counts UCS-2 segments: 70 in one, 67 per part after that', () => {
    expect(splitText('ж'.repeat(70), sms).segments).toBe(1);
    expect(splitText('ж'.repeat(71), sms).segments).toBe(2);
    expect(splitText('ж'.repeat(134), sms).segments).toBe(2);
    expect(splitText('ж'.repeat(135), sms).segments).toBe(3);
  });

  it('sends a text up to the provider limit whole, and splits a longer one on segment boundaries', () => {
    const long = 'x'.repeat(1700);
    const { texts, segments } = splitText(long, sms);
    expect(segments).toBe(12);
    expect(texts.join('')).toBe(long);
    expect(texts.every((t) => (t.length <= 1600 && t.length % 153 === 0) || t === texts.at(-1))).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(900);
    const { texts } = splitText(emoji, sms);
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.join('')).toBe(emoji);
    for (const t of texts)
      expect(t.length <= 1600 && !/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(t)).toBe(true);
    const parts = splitByLength('😀'.repeat(10), 5);
    expect(parts.join('')).toBe('😀'.repeat(10));
    for (const t of parts) expect(/[\uD800-\uDBFF]$/.test(t)).toBe(false);
  });

  it('splits long WhatsApp text between words without counting segments', () => {
    const words = Array.from({ length: 1000 }, (_, i) => `word${i}`).join(' ');
    const { texts, segments } = splitText(words, whatsapp);
    expect(segments).toBeUndefined();
    expect(texts.every((t) => t.length <= 4096)).toBe(true);
    expect(texts.join(' ')).toBe(words);
  });

  it('sends menus as buttons where the channel has them, as numbered text elsewhere', () => {
    const interactive = {
      body: 'Pick one',
      style: 'buttons' as const,
      options: [
        { id: 'a', title: 'Alpha' },
        { id: 'b', title: 'Beta' },
      ],
    };
    expect(planParts({ interactive }, whatsapp).parts).toEqual([{ interactive }]);
    expect(planParts({ interactive }, sms).parts).toEqual([{ text: 'Pick one\n\n1. Alpha\n2. Beta' }]);
  });
});
