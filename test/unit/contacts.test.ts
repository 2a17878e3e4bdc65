import { describe, expect, it } from 'vitest';
import { campaignTag, isAutomaticTag, newTagName, tagName } from '../../bot/contacts/tags.ts';
import {
  AttributeError,
  checkKey,
  checkValue,
  countryCodes,
  impliedType,
  isCountryCode,
} from '../../bot/contacts/values.ts';
import { describeActor, describeJourney } from '../../bot/journey/describe.ts';

describe('attribute values', () => {
  it('knows the 249 ISO 3166-1 alpha-2 codes, each a region the runtime can name', () => {
    const codes = countryCodes();
    expect(codes).toHaveLength(249);
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    for (const code of codes) expect(names.of(code), code).not.toBe(code);
    expect(isCountryCode('XK')).toBe(false);
    expect(isCountryCode('UK')).toBe(false);
    expect(isCountryCode('GB')).toBe(true);
  });

  it('checks and normalizes by type', () => {
    expect(checkValue('email', 'email', ' Ana@Example.COM ')).toBe('Ana@example.com');
    expect(checkValue('phone', 'phone', '(415) 555-0123', { defaultCountry: 'US' })).toBe('+14155550123');
    expect(checkValue('phone', 'phone', '+351 912 345 678')).toBe('+351912345678');
    expect(checkValue('country', 'country', 'pt')).toBe('PT');
    expect(checkValue('n', 'number', '3,5')).toBe('3.5');
    expect(checkValue('d', 'date', '2024-02-29')).toBe('2024-02-29');
    expect(checkValue('b', 'boolean', 'Yes')).toBe('yes');
    expect(checkValue('b', 'boolean', 'false')).toBe('no');
    expect(checkValue('plan', 'text', '  Gold  ')).toBe('Gold');
  });

  it('says what it expected, naming the attribute', () => {
    expect(() => checkValue('email', 'email', 'nope')).toThrow(
      new AttributeError('email', 'email must be an email address, e.g. ana@example.com, not "nope"'),
    );
    expect(() => checkValue('phone', 'phone', '12')).toThrow(
      /phone must be a phone number in international format/,
    );
    expect(() => checkValue('country', 'country', 'Portugal')).toThrow(
      /ISO 3166 country code of two letters/,
    );
    expect(() => checkValue('d', 'date', '2023-02-29')).toThrow(/YYYY-MM-DD/);
    expect(() => checkValue('n', 'number', '12 apples')).toThrow(/a number/);
    expect(() => checkValue('x', 'text', '   ')).toThrow('x: the value is empty');
    expect(() => checkValue('x', 'text', 'a'.repeat(1001))).toThrow('x: at most 1000 characters');
  });

  it('reads a type from well-known names and checks names', () => {
    expect(impliedType('Email')).toBe('email');
    expect(impliedType('mobile')).toBe('phone');
    expect(impliedType('birthday')).toBe('date');
    expect(impliedType('plan')).toBe('text');
    expect(() => checkKey('order_number')).not.toThrow();
    expect(() => checkKey('a.b-c')).not.toThrow();
    expect(() => checkKey('9lives')).toThrow(/not an attribute name/);
    expect(() => checkKey('with space')).toThrow(/not an attribute name/);
  });
});

describe('tag names', () => {
  it('are lower case, short, and the automatic ones are reserved', () => {
    expect(tagName(' VIP ')).toBe('vip');
    expect(tagName('late-payer')).toBe('late-payer');
    expect(() => tagName('big customer')).toThrow(/not a tag name/);
    expect(() => tagName('-x')).toThrow(/not a tag name/);
    expect(tagName('campaign:help-package')).toBe('campaign:help-package');
    expect(() => newTagName('new')).toThrow(/set automatically/);
    expect(() => newTagName('campaign:x')).toThrow(/set automatically/);
    expect(isAutomaticTag('new')).toBe(true);
    expect(isAutomaticTag('news')).toBe(false);
  });

  it('name campaigns by a slug of their name', () => {
    expect(campaignTag('Help Package')).toBe('campaign:help-package');
    expect(campaignTag('Promoção de Verão!')).toBe('campaign:promocao-de-verao');
    expect(campaignTag('***')).toBe('campaign:unnamed');
  });
});

describe('the journey in words', () => {
  it('describes entries and actors for agents', () => {
    expect(describeJourney({ type: 'messages', detail: { customer: 2, agent: 1 } })).toBe(
      'messages: 2 from the customer, 1 from agents',
    );
    expect(describeJourney({ type: 'assign', detail: { agent: '@bob:x', via: 'manual' } })).toBe(
      'assigned to @bob:x (manual)',
    );
    expect(describeJourney({ type: 'resolve', detail: { seconds: 754 } })).toBe('resolved after 12 min');
    expect(
      describeJourney({ type: 'attribute-set', detail: { name: 'plan', value: 'Gold', previous: 'Free' } }),
    ).toBe('plan = Gold (was Free)');
    expect(describeJourney({ type: 'something-new', detail: {} })).toBe('something-new');
    expect(describeActor('api')).toBe('the API');
    expect(describeActor('@ana:x')).toBe('@ana:x');
  });
});
