import { describe, expect, it } from 'vitest';
import { fold, truncate } from '../../../bot/flows/index.ts';
import { interpolate } from '../../../bot/flows/text.ts';

describe('fold', () => {
  it('ignores case, accents, repeated and surrounding spaces and final punctuation', () => {
    for (const written of [
      'Help Package',
      'help package',
      'HELP  PACKAGE!',
      ' hélp\tpackage ?',
      'Help Package!?…',
    ]) {
      expect(fold(written)).toBe('help package');
    }
  });

  it('drops Spanish opening marks and folds fullwidth letters', () => {
    expect(fold('¿Ayuda?')).toBe('ayuda');
    expect(fold('ＡＧＥＮＴ')).toBe('agent');
  });

  it('keeps inner punctuation and emoji', () => {
    expect(fold('Where is my package? Now!')).toBe('where is my package? now');
    expect(fold('📦 Track')).toBe('📦 track');
  });

  it('folds decomposed and precomposed accents alike', () => {
    expect(fold('AGE\u0301NT')).toBe(fold('AGÉNT'));
    expect(fold('AGÉNT')).toBe('agent');
  });
});

describe('truncate', () => {
  it('leaves short text alone', () => {
    expect(truncate('Talk to an agent', 20)).toBe('Talk to an agent');
    expect(truncate('x'.repeat(20), 20)).toBe('x'.repeat(20));
  });

  it('cuts to the limit with an ellipsis', () => {
    const cut = truncate('Change delivery address', 20);
    expect(cut).toBe('Change delivery add…');
    expect(cut.length).toBe(20);
  });

  it('drops the space before the ellipsis', () => {
    expect(truncate('Where is my package please', 13)).toBe('Where is my…');
  });

  it('never splits a surrogate pair', () => {
    const label = `${'a'.repeat(18)}📦📦`; // 📦 is two UTF-16 code units
    const cut = truncate(label, 20);
    expect(cut).toBe(`${'a'.repeat(18)}…`);
    expect(cut.length).toBeLessThanOrEqual(20);
    expect(cut.isWellFormed()).toBe(true);
  });

  it('never separates a letter from its combining accent', () => {
    const label = `${'a'.repeat(18)}e\u0301tude`; // é as e + combining acute at positions 18–19
    const cut = truncate(label, 20);
    expect(cut).toBe(`${'a'.repeat(18)}…`);
    expect(cut.normalize('NFD').endsWith('\u0301…')).toBe(false);
  });

  it('keeps emoji sequences whole', () => {
    const family = '👩‍👩‍👧'; // 8 code units, one grapheme
    const cut = truncate(`${'a'.repeat(15)}${family}bc`, 20);
    expect(cut).toBe(`${'a'.repeat(15)}…`);
  });
});

describe('interpolate', () => {
  it('replaces placeholders with attributes, unknown ones with nothing', () => {
    expect(
      interpolate('Order {{ order_number }} for {{name}}{{missing}}.', { order_number: '42', name: 'Ana' }),
    ).toBe('Order 42 for Ana.');
  });

  it('does not read inherited properties', () => {
    expect(interpolate('[{{constructor}}]', {})).toBe('[]');
  });
});
