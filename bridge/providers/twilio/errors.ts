import { excerpt, httpFailure, parseRetryAfter } from '../http.ts';
import type { FailureKind, ProviderFailure } from '../types.ts';

/*
 * Twilio error codes (https://www.twilio.com/docs/api/errors) classified for the core. The same
 * codes come back on the REST request (JSON {code, message, more_info, status}) and in `failed` or
 * `undelivered` status callbacks (ErrorCode only), so one table serves both.
 */

interface Rule {
  kind: FailureKind;
  permanent: boolean;
  /** Said to agents when the callback carries only the code. */
  message: string;
}

const RULES: Record<string, Rule> = {
  '20003': { kind: 'auth', permanent: true, message: 'Twilio rejected the Account SID or Auth Token' },
  '20429': { kind: 'throttled', permanent: false, message: 'Twilio: too many requests' },
  '21211': {
    kind: 'invalid-recipient',
    permanent: true,
    message: "the 'To' number is not a valid phone number",
  },
  '21612': {
    kind: 'invalid-recipient',
    permanent: true,
    message: "the 'To' number cannot be reached from this sender",
  },
  '21614': { kind: 'invalid-recipient', permanent: true, message: "the 'To' number is not a mobile number" },
  '21610': {
    kind: 'opted-out',
    permanent: true,
    message: 'the customer replied STOP to this number (they can resume by texting START)',
  },
  '30003': { kind: 'unreachable', permanent: true, message: 'the phone is switched off or out of coverage' },
  '30005': { kind: 'unreachable', permanent: true, message: 'the number is unknown or no longer in service' },
  '30006': {
    kind: 'unreachable',
    permanent: true,
    message: 'the number is a landline or its carrier is unreachable',
  },
  '30007': { kind: 'rejected', permanent: true, message: 'the carrier filtered the message' },
  '63016': {
    kind: 'window-closed',
    permanent: true,
    message: 'outside the WhatsApp 24-hour window: only an approved template can be sent',
  },
  '63018': { kind: 'throttled', permanent: false, message: 'WhatsApp rate limit exceeded' },
};

function moreInfo(code: string): string {
  return `https://www.twilio.com/docs/errors/${code}`;
}

/** A failure reported by a `failed`/`undelivered` status callback (no HTTP response, no Retry-After). */
export function callbackFailure(code: string | undefined, status: string, message?: string): ProviderFailure {
  if (!code) {
    return {
      kind: 'rejected',
      code: `status-${status}`,
      message: message || `Twilio reported the message ${status} without an error code`,
      permanent: true,
    };
  }
  const rule = RULES[code];
  return {
    kind: rule?.kind ?? 'rejected',
    code,
    message: message || rule?.message || `Twilio error ${code} (${moreInfo(code)})`,
    permanent: rule?.permanent ?? true,
  };
}

/** A failure from the REST API: the Twilio code decides, then the HTTP status. */
export function responseFailure(response: Response, text: string, json: unknown): ProviderFailure {
  const body = (json ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof body.code === 'number' || typeof body.code === 'string' ? String(body.code) : undefined;
  const message =
    typeof body.message === 'string' && body.message
      ? body.message
      : `Twilio answered HTTP ${response.status}${text ? `: ${excerpt(text)}` : ''}`;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const later = retryAfterMs !== undefined ? { retryAfterMs } : {};
  if (response.status === 429 || code === '20429') {
    return { kind: 'throttled', code: code ?? 'http-429', message, permanent: false, ...later };
  }
  if (response.status >= 500) {
    return {
      kind: 'unavailable',
      code: code ?? `http-${response.status}`,
      message,
      permanent: false,
      ...later,
    };
  }
  const rule = code ? RULES[code] : undefined;
  if (code && rule) {
    return {
      kind: rule.kind,
      code,
      message,
      permanent: rule.permanent,
      ...(rule.permanent ? {} : later),
    };
  }
  const failure = httpFailure(response, message);
  return code ? { ...failure, code } : failure;
}
