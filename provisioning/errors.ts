/**
 * Errors of the provisioning API: a stable machine-readable errcode for programs, a sentence for
 * people. Handlers throw these; the error middleware turns them into `{errcode, error}` responses.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly errcode: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, errcode: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errcode = errcode;
    this.details = details;
  }
}

export const errors = {
  badRequest: (message: string, details?: Record<string, unknown>) =>
    new ApiError(400, 'LC_BAD_REQUEST', message, details),
  unauthorized: () =>
    new ApiError(401, 'LC_UNAUTHORIZED', 'Send the provisioning token as "Authorization: Bearer <token>"'),
  forbidden: () => new ApiError(403, 'LC_FORBIDDEN', 'The provisioning token is not valid'),
  notFound: (what: string) => new ApiError(404, 'LC_NOT_FOUND', `${what} not found`),
  conflict: (errcode: string, message: string, details?: Record<string, unknown>) =>
    new ApiError(409, errcode, message, details),
  matrixUnavailable: (what: string, reason: string) =>
    new ApiError(
      502,
      'LC_MATRIX_UNAVAILABLE',
      `${what} failed on the homeserver (${reason}); nothing was changed`,
    ),
};

/** The homeserver's answer in a sentence, for API errors and pages (never a stack trace). */
export function matrixReason(err: unknown): string {
  const e = err as {
    errcode?: string;
    error?: string;
    body?: { errcode?: string; error?: string };
    message?: string;
  };
  const code = e.errcode ?? e.body?.errcode;
  const text = e.error ?? e.body?.error;
  if (code) return text ? `${code}: ${text}` : code;
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  return cause ?? (err instanceof Error ? err.message : String(err));
}

/** Runs Matrix steps of a request; their failure becomes a 502 (the caller's transaction rolls back). */
export async function onHomeserver<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw errors.matrixUnavailable(what, matrixReason(err));
  }
}
