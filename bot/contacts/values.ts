import { checkAnswer } from '../flows/answers.ts';
import type { AttributeType } from './attributes.ts';

/*
 * Checking an attribute before it is stored, the same way for agents (`set key=value`) and the API
 * (PATCH /contacts/{id}). A value is checked against its type where one is known: the type the
 * contact's attribute already has, the type the space's flows gave this key, or the type its name
 * implies (email, phone, country, birthday…). Canonical forms are those of the flows' answers
 * (bot/flows/answers.ts): phone numbers in E.164, dates as YYYY-MM-DD, countries upper case.
 */

/** ISO 3166-1 alpha-2: the officially assigned codes. */
const ISO_COUNTRIES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV ' +
    'BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ' +
    'ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE ' +
    'IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY ' +
    'MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU ' +
    'NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM ' +
    'SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE ' +
    'VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

export function isCountryCode(code: string): boolean {
  return ISO_COUNTRIES.has(code);
}

export function countryCodes(): string[] {
  return [...ISO_COUNTRIES];
}

/** Types implied by an attribute's name, when nothing else says. */
const NAMED_TYPES: Record<string, AttributeType> = {
  email: 'email',
  phone: 'phone',
  mobile: 'phone',
  country: 'country',
  birthday: 'date',
  birthdate: 'date',
  date_of_birth: 'date',
};

export function impliedType(key: string): AttributeType {
  return NAMED_TYPES[key.toLowerCase()] ?? 'text';
}

/** Attribute names: a letter, then letters, digits, _ . - (at most 64). */
const KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const MAX_VALUE_LENGTH = 1000;

export class AttributeError extends Error {
  /** The attribute's key (the API names the field attributes.<key>). */
  readonly key: string;

  constructor(key: string, message: string) {
    super(message);
    this.name = 'AttributeError';
    this.key = key;
  }
}

export function checkKey(key: string): void {
  if (!KEY.test(key)) {
    throw new AttributeError(
      key,
      `"${key}" is not an attribute name: a letter, then letters, digits, _ . or - (at most 64)`,
    );
  }
}

const EXPECTED: Record<AttributeType, string> = {
  text: 'text',
  number: 'a number, e.g. 42 or 3.5',
  email: 'an email address, e.g. ana@example.com',
  phone: 'a phone number in international format, e.g. +14155550100',
  date: 'a date as YYYY-MM-DD, e.g. 2026-03-14',
  boolean: 'yes or no',
  country: 'an ISO 3166 country code of two letters, e.g. PT or US',
};

const YES = new Set(['yes', 'y', 'true', '1']);
const NO = new Set(['no', 'n', 'false', '0']);

/**
 * The canonical value of `raw` for an attribute of this type; throws AttributeError saying what
 * was expected. defaultCountry reads national phone numbers (the contact's own country).
 */
export function checkValue(
  key: string,
  type: AttributeType,
  raw: string,
  options: { defaultCountry?: string } = {},
): string {
  const text = raw.trim();
  if (!text) throw new AttributeError(key, `${key}: the value is empty`);
  if (text.length > MAX_VALUE_LENGTH) {
    throw new AttributeError(key, `${key}: at most ${MAX_VALUE_LENGTH} characters`);
  }
  let value: string | undefined;
  switch (type) {
    case 'text':
      value = text;
      break;
    case 'country': {
      const code = text.toUpperCase();
      value = isCountryCode(code) ? code : undefined;
      break;
    }
    case 'boolean': {
      const word = text.toLowerCase();
      value = YES.has(word) ? 'yes' : NO.has(word) ? 'no' : undefined;
      break;
    }
    default: {
      const checked = checkAnswer(type, text, options);
      value = checked.ok ? checked.value : undefined;
    }
  }
  if (value === undefined) throw new AttributeError(key, `${key} must be ${EXPECTED[type]}, not "${text}"`);
  return value;
}
