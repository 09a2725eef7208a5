import type { HttpContext, HttpNext } from '../context';
import type { Logger } from 'pino';
import { AppError, ERROR_KINDS } from '../../errors';

/**
 * The seed's error body, keys in the contract's order: reqId, statusCode, message, error[, details].
 * A 422's `message` is the array of validation issues (zod's shape, as Infisical sends it).
 */
export function errorBody(reqId: string, err: AppError): Record<string, unknown> {
  const kind = ERROR_KINDS[err.kind];
  if (err.kind === 'ValidationFailure') return { reqId, statusCode: kind.status, message: err.details, error: kind.error };
  const message = 'fixedMessage' in kind ? kind.fixedMessage : err.message;
  const body: Record<string, unknown> = { reqId, statusCode: kind.status, message, error: kind.error };
  if (err.details !== undefined && kind.status < 500) body.details = err.details;
  return body;
}

/** Anything that is not an AppError is a bug: a generic 500, the cause only in the log. */
export function asAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  return new AppError('Internal', 'Something went wrong', undefined, { cause: e });
}

/**
 * Outermost middleware: stamps the request id, sets security headers, and renders every
 * failure in the seed's error shape. Nothing thrown below escapes as a stack or library text.
 */
export function errorsMiddleware(log: Logger) {
  return async (ctx: HttpContext, next: HttpNext): Promise<void> => {
    ctx.set('X-Request-Id', ctx.state.reqId);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    ctx.set('Referrer-Policy', 'no-referrer');
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError('NotFound', 'Route not found');
      }
    } catch (e) {
      const err = asAppError(e);
      if (err.status >= 500) {
        log.error({ reqId: ctx.state.reqId, err: err.cause ?? err, kind: err.kind }, 'request failed');
      }
      if (err.kind === 'HsmUnavailable' || err.kind === 'Unavailable') ctx.set('Retry-After', '5');
      ctx.status = err.status;
      ctx.type = 'application/json';
      ctx.body = errorBody(ctx.state.reqId, err);
    }
  };
}
