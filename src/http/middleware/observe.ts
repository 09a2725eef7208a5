import type { HttpContext, HttpNext } from '../context';
import type { Logger } from 'pino';
import type { Metrics } from '../../metrics/metrics';
import { newRequestId } from '../request-id';
import { outcomeOf } from '../../audit/trail';
import type { AuditState } from './audit';

/** Probes and scrapes arrive every few seconds; their successes are only worth a debug line. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** `issued`/`denied`/`rejected`/`failed` for audited requests (as the audit trail says), else by status. */
function outcome(ctx: HttpContext): string {
  if (ctx.state.audit) return outcomeOf(ctx.status);
  return ctx.status < 400 ? 'ok' : ctx.status < 500 ? 'rejected' : 'failed';
}

/**
 * Outermost middleware: gives the request its id, then, once the response is decided, writes
 * one structured log line (reqId, route, identity, CA, outcome, status, duration) and the
 * metrics (duration by route template, issued certificates by CA). Never the raw path or query:
 * a path carries whatever a client typed, secrets included, and its cardinality is the client's.
 */
export function observeMiddleware(log: Logger, metrics: Metrics) {
  return async (ctx: HttpContext, next: HttpNext): Promise<void> => {
    ctx.state.reqId = newRequestId();
    const started = process.hrtime.bigint();
    await next();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const route = typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : '(unmatched)';
    const audit: AuditState | undefined = ctx.state.audit;
    metrics.requestDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, seconds);
    if (audit?.serial && ctx.status < 300 && audit.caId) metrics.certificatesIssued.inc({ ca: audit.caId });
    const level = QUIET_ROUTES.has(route) && ctx.status < 400 ? 'debug' : 'info';
    log[level]({
      reqId: ctx.state.reqId, method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1e5) / 100,
      identity: ctx.state.identity?.name, ca: audit?.caId, serial: audit?.serial, outcome: outcome(ctx),
    }, 'request');
  };
}
