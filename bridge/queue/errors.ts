/**
 * How a queue handler tells the queue what to do with a row that did not succeed. Anything else
 * thrown is treated as transient and retried with backoff.
 */

/** Try again later; retryAfterMs (e.g. from a Retry-After header) overrides the backoff when longer. */
export class RetryableError extends Error {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: { retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'RetryableError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Retrying cannot help (opted out, invalid number, window closed): fail the row now. */
export class PermanentError extends Error {
  readonly code: string | undefined;

  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'PermanentError';
    this.code = options?.code;
  }
}
