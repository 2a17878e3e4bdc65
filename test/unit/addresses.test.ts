import { describe, expect, it } from 'vitest';
import { AddressError, contactAddress, formatAddress, normalizeAddress } from '../../bridge/addresses.ts';
import { ghostLocalpart, localpartOf } from '../../bridge/ids.ts';

describe('addresses', () => {
  it('normalizes longcodes and WhatsApp numbers to E.164', () => {
    expect(normalizeAddress('+1 (415) 555-0100', 'sms')).toEqual({ address: '+14155550100', kind: 'e164' });
    expect(normalizeAddress('whatsapp:+14155550100', 'whatsapp')).toEqual({
      address: '+14155550100',
      kind: 'e164',
    });
    expect(normalizeAddress('5511987654321', 'whatsapp')).toEqual({
      address: '+5511987654321',
      kind: 'e164',
    });
    expect(normalizeAddress('0612345678', 'sms', { defaultCountry: 'FR' })).toEqual({
      address: '+33612345678',
      kind: 'e164',
    });
  });

  it('keeps SMS short codes as digits, and refuses them on WhatsApp', () => {
    expect(normalizeAddress('12345', 'sms')).toEqual({ address: '12345', kind: 'shortcode' });
    expect(normalizeAddress('7', 'sms')).toEqual({ address: '7', kind: 'shortcode' });
    expect(() => normalizeAddress('12345', 'whatsapp')).toThrow(AddressError);
  });

  it('explains what is wrong with a bad number', () => {
    expect(() => normalizeAddress('+1 234', 'sms')).toThrow(/not a phone number in international format/);
    expect(() => normalizeAddress('  ', 'sms')).toThrow(/is empty/);
  });

  it('keeps an odd customer address instead of dropping the message', () => {
    expect(contactAddress('whatsapp:+999', 'whatsapp')).toEqual({ address: '+999', kind: 'e164' });
  });

  it('formats for people', () => {
    expect(formatAddress({ address: '+14155550100', kind: 'e164' })).toBe('+1 415 555 0100');
    expect(formatAddress({ address: '12345', kind: 'shortcode' })).toBe('12345');
  });
});

describe('ghost ids', () => {
  it('are stable, opaque and carry no phone number', () => {
    const a = ghostLocalpart('_livechat_', '6f1c2a3e-0000-4000-8000-000000000001');
    expect(a).toBe(ghostLocalpart('_livechat_', '6f1c2a3e-0000-4000-8000-000000000001'));
    expect(a).toMatch(/^_livechat_[0-9a-f]{20}$/);
    expect(a).not.toBe(ghostLocalpart('_livechat_', '6f1c2a3e-0000-4000-8000-000000000002'));
    expect(localpartOf(`@${a}:example.com`, 'example.com')).toBe(a);
    expect(localpartOf(`@${a}:other.org`, 'example.com')).toBeUndefined();
  });
});
