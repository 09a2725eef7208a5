/**
 * The one error catalogue. Domain code throws `AppError`s by kind; the HTTP error
 * middleware renders them into the seed's error shape `{reqId, statusCode, message, error[, details]}`.
 * 5xx messages come only from this table: the cause goes to the log, never to the client.
 */
export const ERROR_KINDS = {
  BadRequest: { status: 400, error: 'BadRequest' },
  Unauthorized: { status: 401, error: 'UnauthorizedError' },
  TokenExpired: { status: 403, error: 'TokenError' },
  PermissionDenied: { status: 403, error: 'PermissionDenied' },
  NotFound: { status: 404, error: 'NotFound' },
  MethodNotAllowed: { status: 405, error: 'MethodNotAllowed' },
  PayloadTooLarge: { status: 413, error: 'PayloadTooLarge' },
  UnsupportedMediaType: { status: 415, error: 'UnsupportedMediaType' },
  ValidationFailure: { status: 422, error: 'ValidationFailure' },
  RateLimitExceeded: { status: 429, error: 'RateLimitExceeded' },
  Internal: { status: 500, error: 'InternalServerError', fixedMessage: 'Something went wrong' },
  HsmUnavailable: { status: 503, error: 'ServiceUnavailable', fixedMessage: 'HSM unavailable' },
  Unavailable: { status: 503, error: 'ServiceUnavailable', fixedMessage: 'Service unavailable' },
  /** `/readyz` only: the message names the failing dependency, in our own words, for the operator. */
  NotReady: { status: 503, error: 'ServiceUnavailable' },
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** A failure with a client-facing meaning. `message` is shown to clients for 4xx only. */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = `AppError(${kind})`;
  }

  get status(): number {
    return ERROR_KINDS[this.kind].status;
  }
}

export const badRequest = (message: string, details?: unknown): AppError =>
  new AppError('BadRequest', message, details);

export const notFound = (message: string): AppError => new AppError('NotFound', message);

/** HSM trouble is never the client's fault: always a 503, never a 4xx. */
export const hsmUnavailable = (cause: unknown, why = 'HSM unavailable'): AppError =>
  new AppError('HsmUnavailable', why, undefined, { cause });
