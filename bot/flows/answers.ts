import { z } from 'zod';
import { AddressError, normalizeAddress } from '../../bridge/addresses.ts';
import type { Validator } from './schema.ts';

/*
 * Checking a customer's answer to a question before it becomes a contact attribute. Valid answers
 * are stored in one canonical form so that branches and agents see the same thing whoever typed it.
 */

export type AnswerCheck = { ok: true; value: string } | { ok: false };

export interface AnswerOptions {
  /** ISO country used for phone numbers written without "+" and country code (e.g. the sender's). */
  defaultCountry?: string;
}

const email = z.email();
const NUMBER = /^[+-]?\d+(?:[.,]\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Applies a validator to an answer. Canonical forms: text trimmed; email trimmed with its domain in
 * lower case; number without spaces or a leading "#" and with "." as decimal separator ("#12 345" →
 * "12345", "3,5" → "3.5"; thousands separators are not accepted, being ambiguous); phone in E.164;
 * date as YYYY-MM-DD (a real calendar day). A custom regex is tested against the trimmed answer.
 */
export function checkAnswer(
  validator: Validator | undefined,
  answer: string,
  options: AnswerOptions = {},
): AnswerCheck {
  const text = answer.trim();
  if (!text) return { ok: false };
  if (validator === undefined || validator === 'text') return { ok: true, value: text };
  if (typeof validator === 'object') {
    return new RegExp(validator.regex, 'u').test(text) ? { ok: true, value: text } : { ok: false };
  }
  switch (validator) {
    case 'email': {
      if (!email.safeParse(text).success) return { ok: false };
      const at = text.lastIndexOf('@');
      return { ok: true, value: text.slice(0, at) + text.slice(at).toLowerCase() };
    }
    case 'number': {
      const compact = text.replace(/^#\s*/, '').replace(/[\s\u00a0\u202f]/g, '');
      return NUMBER.test(compact) ? { ok: true, value: compact.replace(',', '.') } : { ok: false };
    }
    case 'phone':
      try {
        const country = options.defaultCountry
          ? { defaultCountry: options.defaultCountry.toUpperCase() }
          : {};
        return { ok: true, value: normalizeAddress(text, 'whatsapp', country).address };
      } catch (err) {
        if (err instanceof AddressError) return { ok: false };
        throw err;
      }
    case 'date': {
      const match = DATE.exec(text);
      if (!match) return { ok: false };
      const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
      const day = new Date(Date.UTC(y, m - 1, d));
      const real = day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
      return real ? { ok: true, value: text } : { ok: false };
    }
  }
}

/** What the customer is told after an answer that is not valid, when the node does not say. */
export function defaultRetry(validator: Validator | undefined): string {
  if (typeof validator === 'object') return validator.message;
  switch (validator) {
    case undefined:
    case 'text':
      return 'Please answer with a text message.';
    case 'email':
      return 'That does not look like an email address. Please send it like name@example.com.';
    case 'number':
      return 'Please answer with a number, e.g. 12345.';
    case 'phone':
      return 'Please send a phone number with its country code, e.g. +14155550100.';
    case 'date':
      return 'Please send a date as YYYY-MM-DD, e.g. 2026-03-14.';
  }
}
