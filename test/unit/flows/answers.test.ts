import { describe, expect, it } from 'vitest';
import { checkAnswer, defaultRetry } from '../../../bot/flows/index.ts';

const valid = (value: string) => ({ ok: true, value });
const invalid = { ok: false };

describe('question validators', () => {
  it('text: any non-empty text, trimmed', () => {
    expect(checkAnswer('text', '  Rua Augusta 100, São Paulo ')).toEqual(valid('Rua Augusta 100, São Paulo'));
    expect(checkAnswer(undefined, 'anything')).toEqual(valid('anything'));
    expect(checkAnswer('text', '   ')).toEqual(invalid);
  });

  it('email: a real address shape, domain in lower case', () => {
    expect(checkAnswer('email', ' Ana.Silva@Example.COM ')).toEqual(valid('Ana.Silva@example.com'));
    for (const bad of [
      'ana',
      'ana@',
      '@example.com',
      'ana@example',
      'ana silva@example.com',
      'ana@@example.com',
    ]) {
      expect(checkAnswer('email', bad), bad).toEqual(invalid);
    }
  });

  it('number: integers and decimals, spaces and a leading # dropped', () => {
    expect(checkAnswer('number', '12345')).toEqual(valid('12345'));
    expect(checkAnswer('number', '#12 345')).toEqual(valid('12345'));
    expect(checkAnswer('number', '3,5')).toEqual(valid('3.5'));
    expect(checkAnswer('number', '-2.25')).toEqual(valid('-2.25'));
    for (const bad of ['abc', '12a', '1.2.3', '1,234.5', '', '#', 'twelve']) {
      expect(checkAnswer('number', bad), bad).toEqual(invalid);
    }
  });

  it('phone: stored in E.164, short codes and non-numbers refused', () => {
    expect(checkAnswer('phone', '+1 (415) 555-0100')).toEqual(valid('+14155550100'));
    expect(checkAnswer('phone', '5511987654321')).toEqual(valid('+5511987654321'));
    expect(checkAnswer('phone', '12345')).toEqual(invalid);
    expect(checkAnswer('phone', 'call me')).toEqual(invalid);
  });

  it('phone: a national number with the default country', () => {
    expect(checkAnswer('phone', '(11) 98765-4321', { defaultCountry: 'BR' })).toEqual(
      valid('+5511987654321'),
    );
    expect(checkAnswer('phone', '020 7946 0958', { defaultCountry: 'GB' })).toEqual(valid('+442079460958'));
  });

  it('date: YYYY-MM-DD of a real day', () => {
    expect(checkAnswer('date', '2026-03-14')).toEqual(valid('2026-03-14'));
    expect(checkAnswer('date', '2024-02-29')).toEqual(valid('2024-02-29'));
    for (const bad of ['2026-02-29', '2026-13-01', '2026-04-31', '14/03/2026', '2026-3-14', 'tomorrow']) {
      expect(checkAnswer('date', bad), bad).toEqual(invalid);
    }
  });

  it('regex: tested against the trimmed answer', () => {
    const order = { regex: '^[A-Z]{2}-\\d{4}$', message: 'Like AB-1234, please.' };
    expect(checkAnswer(order, ' AB-1234 ')).toEqual(valid('AB-1234'));
    expect(checkAnswer(order, 'ab-1234')).toEqual(invalid);
    expect(checkAnswer({ regex: '^\\p{Lu}', message: 'x' }, 'Élan')).toEqual(valid('Élan'));
  });

  it('each validator has a retry prompt that says what is expected', () => {
    expect(defaultRetry('email')).toMatch(/name@example\.com/);
    expect(defaultRetry('number')).toMatch(/number/);
    expect(defaultRetry('phone')).toMatch(/country code/);
    expect(defaultRetry('date')).toMatch(/YYYY-MM-DD/);
    expect(defaultRetry('text')).toMatch(/text/);
    expect(defaultRetry({ regex: '.', message: 'Like AB-1234.' })).toBe('Like AB-1234.');
  });
});
