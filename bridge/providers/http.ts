import { ProviderError, type ProviderFailure } from './types.ts';

/**
 * HTTP for provider connectors: a time limit on every request, and network failures turned into
 * classified, retryable ProviderErrors (a timeout or a reset connection says nothing about the
 * message itself).
 */

/** Retry-After as milliseconds: either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The system error code behind a failed fetch (ECONNREFUSED, ECONNRESET…), however deeply wrapped. */
export function networkCode(err: unknown): string | undefined {
  for (
    let e = err as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined, i = 0;
    e && i < 5;
    i++
  ) {
    if (typeof e.code === 'string' && e.code.startsWith('E')) return e.code;
    if (Array.isArray(e.errors) && e.errors.length > 0) e = e.errors[0] as typeof e;
    else e = e.cause as typeof e;
  }
  return undefined;
}

export async function providerFetch(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, {
      ...init,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: init.redirect ?? 'follow',
    });
  } catch (err) {
    const name = (err as { name?: string }).name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    const failure: ProviderFailure = {
      kind: 'unavailable',
      code: timedOut ? 'timeout' : (networkCode(err) ?? 'network'),
      message: timedOut
        ? `no answer within ${timeoutMs} ms`
        : err instanceof Error
          ? err.message
          : String(err),
      permanent: false,
    };
    throw new ProviderError(failure, { cause: err });
  }
}

/** Reads a JSON body; a body that is not JSON is a provider fault (retryable), not a crash. */
export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new ProviderError({
      kind: 'unavailable',
      code: `http-${response.status}`,
      message: `the provider answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 120)}`,
      permanent: false,
    });
  }
}

/** A failure for a response status no more specific rule classified. */
export function httpFailure(response: Response, message: string): ProviderFailure {
  const status = response.status;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  if (status === 429) return { kind: 'throttled', code: 'http-429', message, permanent: false, retryAfterMs };
  if (status >= 500 || status === 408) {
    return { kind: 'unavailable', code: `http-${status}`, message, permanent: false, retryAfterMs };
  }
  if (status === 401 || status === 403)
    return { kind: 'auth', code: `http-${status}`, message, permanent: true };
  return { kind: 'rejected', code: `http-${status}`, message, permanent: true };
}

/** A response body as text, and as JSON when it is JSON (error bodies are often HTML from a proxy). */
export async function readBody(response: Response): Promise<{ text: string; json: unknown }> {
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    // The time limit covers the body too: a body that stalls or breaks is a network failure.
    const name = (err as { name?: string }).name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    throw new ProviderError(
      {
        kind: 'unavailable',
        code: timedOut ? 'timeout' : (networkCode(err) ?? 'network'),
        message: `the answer (HTTP ${response.status}) broke off: ${err instanceof Error ? err.message : String(err)}`,
        permanent: false,
      },
      { cause: err },
    );
  }
  try {
    return { text, json: text ? JSON.parse(text) : undefined };
  } catch {
    return { text, json: undefined };
  }
}

/** A short, single-line excerpt of a body for error messages (never the whole page). */
export function excerpt(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
