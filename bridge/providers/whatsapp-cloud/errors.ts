import { excerpt, parseRetryAfter } from '../http.ts';
import type { FailureKind, ProviderFailure } from '../types.ts';

/*
 * Graph API / Cloud API error codes classified for the core. The same codes come back on requests
 * ({error: {message, type, code, error_subcode, fbtrace_id}}) and in `failed` statuses
 * (errors[{code, title, message}]): many send failures arrive only in the webhook.
 */

interface Rule {
  kind: FailureKind;
  permanent: boolean;
  message: string;
}

const THROTTLED: Rule = { kind: 'throttled', permanent: false, message: 'WhatsApp rate limit hit' };
const AUTH: Rule = {
  kind: 'auth',
  permanent: true,
  message: 'Meta rejected the access token or its permissions (renew it in the Meta app)',
};
const UNAVAILABLE: Rule = {
  kind: 'unavailable',
  permanent: false,
  message: 'WhatsApp is temporarily unavailable',
};

const RULES: Record<string, Rule> = {
  '0': AUTH,
  '10': AUTH,
  '190': AUTH,
  '1': UNAVAILABLE,
  '2': UNAVAILABLE,
  '131000': UNAVAILABLE,
  '131016': UNAVAILABLE,
  '4': THROTTLED,
  '80007': THROTTLED,
  '130429': {
    kind: 'throttled',
    permanent: false,
    message: 'WhatsApp throughput limit for this number reached',
  },
  '131056': {
    kind: 'throttled',
    permanent: false,
    message: 'too many messages to this customer in a short time',
  },
  '131047': {
    kind: 'window-closed',
    permanent: true,
    message:
      'more than 24 hours since the customer last wrote: only an approved template can be sent (!template)',
  },
  '131026': {
    kind: 'unreachable',
    permanent: true,
    message: 'the message could not be delivered (no WhatsApp account, old app, or not accepted terms)',
  },
  '131021': { kind: 'invalid-recipient', permanent: true, message: 'the recipient is the sender itself' },
  '131051': { kind: 'rejected', permanent: true, message: 'WhatsApp does not support this message type' },
  '131053': { kind: 'rejected', permanent: true, message: 'WhatsApp could not process the attached media' },
};

/** Permission errors are a range, not a list (200–299). */
function ruleFor(code: string): Rule | undefined {
  const n = Number(code);
  if (Number.isInteger(n) && n >= 200 && n <= 299) return AUTH;
  return RULES[code];
}

/** A failure from a `failed` status in a webhook. */
export function statusFailure(
  error: { code?: unknown; title?: unknown; message?: unknown; details?: unknown } | undefined,
): ProviderFailure {
  if (!error || error.code == null) {
    return {
      kind: 'rejected',
      code: 'status-failed',
      message: 'WhatsApp reported the message failed without an error code',
      permanent: true,
    };
  }
  const code = String(error.code);
  const rule = ruleFor(code);
  const said = [error.title, error.message, error.details].find((x) => typeof x === 'string' && x) as
    string | undefined;
  return {
    kind: rule?.kind ?? 'rejected',
    code,
    message: rule ? `${rule.message}${said ? ` (${said})` : ''}` : (said ?? `WhatsApp error ${code}`),
    permanent: rule?.permanent ?? true,
  };
}

/** A failure from a Graph API answer: the error code decides, then the HTTP status. */
export function responseFailure(response: Response, text: string, json: unknown): ProviderFailure {
  const error = (
    json as { error?: { code?: unknown; message?: unknown; error_subcode?: unknown } } | undefined
  )?.error;
  const code = error?.code == null ? undefined : String(error.code);
  const said =
    typeof error?.message === 'string' && error.message
      ? error.message
      : `Meta answered HTTP ${response.status}${text ? `: ${excerpt(text)}` : ''}`;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const rule = code ? ruleFor(code) : undefined;
  if (code && rule) {
    return {
      kind: rule.kind,
      code,
      message: said,
      permanent: rule.permanent,
      ...(!rule.permanent && retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  const status = response.status;
  const label = code ?? `http-${status}`;
  if (status === 429)
    return {
      kind: 'throttled',
      code: label,
      message: said,
      permanent: false,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  if (status >= 500 || status === 408) {
    return {
      kind: 'unavailable',
      code: label,
      message: said,
      permanent: false,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  if (status === 401 || status === 403) return { kind: 'auth', code: label, message: said, permanent: true };
  return { kind: 'rejected', code: label, message: said, permanent: true };
}
