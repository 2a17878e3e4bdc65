import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Addresses on the carriers' side, normalized in one place. Longcodes and WhatsApp numbers are
 * E.164 ('+15551234567'); SMS short codes are 1–6 bare digits (they are not phone numbers and have
 * no country code); WhatsApp users without a phone number are known by Meta's business-scoped id.
 */

export type Channel = 'sms' | 'whatsapp';
export type AddressKind = 'e164' | 'shortcode' | 'wa-user-id';

export interface Address {
  address: string;
  kind: AddressKind;
}

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

const SHORTCODE = /^\d{1,6}$/;

/** Strips transport prefixes (`whatsapp:`, `tel:`) and presentation characters. */
export function stripAddress(raw: string): string {
  return raw
    .trim()
    .replace(/^(whatsapp|tel|sms):/i, '')
    .replace(/[\s().-]/g, '');
}

/**
 * Normalizes a number as written by a person or a provider. Numbers without a leading + are read
 * as international (WhatsApp's wa_id and Meta's display numbers come without it), unless a
 * default country is given.
 */
export function normalizeAddress(
  raw: string,
  channel: Channel,
  options: { defaultCountry?: string } = {},
): Address {
  const stripped = stripAddress(raw);
  if (!stripped) throw new AddressError('is empty');
  if (channel === 'sms' && SHORTCODE.test(stripped)) return { address: stripped, kind: 'shortcode' };
  if (channel === 'whatsapp' && SHORTCODE.test(stripped)) {
    throw new AddressError(`"${raw}" is a short code; WhatsApp needs a full phone number`);
  }
  const international = stripped.startsWith('+')
    ? stripped
    : options.defaultCountry
      ? stripped
      : `+${stripped}`;
  const phone = parsePhoneNumberFromString(international, options.defaultCountry as never);
  if (!phone || !phone.isPossible()) {
    throw new AddressError(
      `"${raw}" is not a phone number in international format (E.164, e.g. +14155550100)`,
    );
  }
  return { address: phone.number, kind: 'e164' };
}

/** A customer's address as the channel reports it; never throws for odd but real inputs. */
export function contactAddress(raw: string, channel: Channel): Address {
  const stripped = stripAddress(raw);
  if (channel === 'sms' && SHORTCODE.test(stripped)) return { address: stripped, kind: 'shortcode' };
  try {
    return normalizeAddress(stripped, channel);
  } catch {
    // Keep what the carrier said rather than dropping the message; it is still a stable key.
    return { address: stripped, kind: 'e164' };
  }
}

/** How an address is shown to agents: '+1 415 555 0100', or the short code as is. */
export function formatAddress(address: Address): string {
  if (address.kind !== 'e164') return address.address;
  return parsePhoneNumberFromString(address.address)?.formatInternational() ?? address.address;
}
