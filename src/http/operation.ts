import crypto from 'node:crypto';
import type { Router, RouterMiddleware } from '@koa/router';
import { compileRequest, findOperation, routerPath } from '../api/openapi';
import type { Action, Identity } from '../auth/identity';
import type { IssuanceNote } from '../services/issue-child';
import type { AppDeps } from './app';
import type { HttpContext, HttpMiddleware } from './context';
import { JsonText } from './json-text';
import { auditMiddleware } from './middleware/audit';
import { authMiddleware } from './middleware/auth';
import { readJsonBody } from './middleware/json-body';
import { RateLimiter, rateLimitMiddleware } from './middleware/rate-limit';
import { validateRequest } from './validate';

/** What a handler gets: the validated request, who asks, and the audit note to fill in. */
export interface OperationRequest<B> {
  body: B;
  params: Record<string, string>;
  /** Validated query, numbers coerced and defaults filled in. */
  query: Record<string, unknown>;
  dates: Record<string, Date | undefined>;
  identity: Identity;
  reqId: string;
  note: IssuanceNote;
  ctx: HttpContext;
}

export interface OperationSpec<B> {
  operationId: string;
  /** The permission the route needs, also the audit event's action. */
  action: Action;
  /** Body fields (dotted paths) that must be RFC 3339 dates. */
  dates?: string[];
  handle(req: OperationRequest<B>): Promise<unknown>;
}

/** A registered operation: the router's path template and its middleware after the app's own. */
export interface RegisteredOperation {
  method: string;
  /** In the router's syntax (`/x/:caId/y`), as logs and metrics name the route. */
  template: string;
  chain: HttpMiddleware[];
}

/**
 * Registers one authenticated operation of the OpenAPI document, always in the contract's
 * order: audit (wraps everything) → authentication (rows 1–2) → JSON body (row 3) → compiled
 * schema + dates (row 4) → the service (rows 5+). Method and path come from the document.
 */
export function operation<B>(router: Router, deps: AppDeps, spec: OperationSpec<B>): RegisteredOperation {
  const { path, method, op } = findOperation(spec.operationId);
  const validators = compileRequest(spec.operationId);
  const takesBody = op.requestBody !== undefined;
  const store = deps.services.store;
  const handler: HttpMiddleware = async (ctx) => {
    const raw = takesBody ? await readJsonBody(ctx, deps.bodyLimit) : undefined;
    const note: IssuanceNote = ctx.state.audit;
    const csr = (raw as { csr?: unknown } | undefined)?.csr;
    if (typeof csr === 'string') note.csrSha256 = crypto.hash('sha256', csr, 'hex');
    const { body, dates, query } = validateRequest<B>(validators, ctx.params, raw, spec.dates ?? [], { ...ctx.query });
    const result = await spec.handle({
      body, params: ctx.params, query, dates, identity: ctx.state.identity, reqId: ctx.state.reqId, note, ctx,
    });
    if (result instanceof JsonText) {
      ctx.type = 'application/json';
      ctx.body = result.text;
    } else ctx.body = result;
  };
  const register = router[method as 'get' | 'post' | 'patch' | 'delete'].bind(router) as (
    p: string, ...m: RouterMiddleware[]) => Router;
  const chain = [auditMiddleware(store, spec.action, deps.log), authMiddleware(deps.auth)];
  const limiter = limiterFor(deps);
  if (limiter) chain.push(rateLimitMiddleware(limiter));
  chain.push(handler);
  const template = routerPath(path);
  register(template, ...chain);
  return { method: method.toUpperCase(), template, chain };
}

/** One limiter per app, shared by all its operations. */
const limiters = new WeakMap<AppDeps, RateLimiter>();
function limiterFor(deps: AppDeps): RateLimiter | undefined {
  const rate = deps.rateLimit;
  if (!rate?.perSecond) return undefined;
  let limiter = limiters.get(deps);
  if (!limiter) limiters.set(deps, (limiter = new RateLimiter(rate.perSecond, rate.burst || Math.ceil(rate.perSecond))));
  return limiter;
}
