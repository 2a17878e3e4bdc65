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
};
