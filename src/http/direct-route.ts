/**
 * The hot operation (sign-intermediate) served without Koa's shell: the same middleware, in the
 * same order, over a small context instead of Koa's context, request, response and router
 * objects. Measured on the bench's P-256 CA (2 workers): Koa, @koa/router and their per-request
 * objects cost ~120 µs of ~1,400 µs of CPU per request, and a request that skipped them was
 * 10–20 % faster (docs/performance.md).
 *
 * Only a request Koa would route to the same middleware takes this path: the exact method and
 * path, no query string, and path parameters made of unreserved characters only (so there is
 * nothing to decode). Everything else, including every error a router would produce (405, 404),
 * is Koa's as before.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import compose from 'koa-compose';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { HttpContext, HttpMiddleware } from './context';
import { errorBody } from './middleware/errors';
import type { RegisteredOperation } from './operation';
import { newRequestId } from './request-id';

/** What Koa writes for `ctx.type = 'application/json'` and for an object body. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** Koa's context semantics for what our middleware uses (see `HttpContext`). */
class DirectContext implements HttpContext {
  state: Record<string, unknown> = {};
  query = {};
  private code = 404;
  private explicitStatus = false;
  private value: unknown;

  constructor(
    readonly req: IncomingMessage, readonly res: ServerResponse,
    public params: Record<string, string>, public _matchedRoute: string,
  ) {
    res.statusCode = 404;
  }

  get method(): string {
    return this.req.method ?? '';
  }

  get ip(): string {
    return this.req.socket.remoteAddress ?? '';
  }

  get status(): number {
    return this.code;
  }

  set status(code: number) {
    if (this.res.headersSent) return;
    this.explicitStatus = true;
    this.code = this.res.statusCode = code;
  }

  get body(): unknown {
    return this.value;
  }

  /** As Koa: a body without an explicit status is a 200. */
  set body(value: unknown) {
    this.value = value;
    if (!this.explicitStatus) this.code = this.res.statusCode = 200;
  }

  get type(): string {
    return String(this.res.getHeader('Content-Type') ?? '').split(';')[0];
  }

  set type(type: string) {
    if (type !== 'application/json') throw new Error(`the direct route answers JSON only, not ${type}`);
    this.set('Content-Type', JSON_TYPE);
  }

  get(field: string): string {
    const name = field.toLowerCase();
    const headers = this.req.headers;
    const value = name === 'referer' || name === 'referrer' ? headers.referrer ?? headers.referer : headers[name];
    return (value as string | undefined) || '';
  }

  set(field: string, value: string): void {
    if (!this.res.headersSent) this.res.setHeader(field, value);
  }
}

/** Koa's `respond` for a JSON body (the only kind this route has: an object, or its JSON text). */
function respond(ctx: DirectContext): void {
  const { res } = ctx;
  if (res.writableEnded || res.socket?.writable === false || ctx.body === undefined) {
    res.end();
    return;
  }
  const text = typeof ctx.body === 'string' ? ctx.body : JSON.stringify(ctx.body);
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * Only reached if the outermost middleware or `respond` throws: a 500 in the seed's shape if the
 * headers are not out yet, else the connection is cut. Never throws itself.
 */
function lastResort(ctx: DirectContext, err: unknown, log: Logger): void {
  const { res } = ctx;
  try {
    log.error({ reqId: ctx.state.reqId, err }, 'request failed outside the error handler');
    if (res.headersSent) throw err;
    const reqId = typeof ctx.state.reqId === 'string' ? ctx.state.reqId : newRequestId();
    const text = JSON.stringify(errorBody(reqId, new AppError('Internal', 'Something went wrong')));
    res.writeHead(500, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text), 'X-Request-Id': reqId }).end(text);
  } catch {
    res.destroy();
  }
}

/** Characters that need no percent-decoding (RFC 3986 2.3), so a match means what the router's would. */
const UNRESERVED_SEGMENT = '([A-Za-z0-9._~-]+)';
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface CompiledRoute {
  method: string;
  pattern: RegExp;
  names: string[];
  template: string;
  run: (ctx: HttpContext) => Promise<void>;
}

function compile(route: RegisteredOperation, outer: HttpMiddleware[]): CompiledRoute {
  const segments = route.template.split('/');
  const names = segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1));
  const pattern = new RegExp(`^${segments.map((s) => (s.startsWith(':') ? UNRESERVED_SEGMENT : escapeRegExp(s))).join('/')}$`);
  return { method: route.method, pattern, names, template: route.template, run: compose([...outer, ...route.chain]) };
}

/**
 * A request listener that serves `routes` directly, behind the app's `outer` middleware, and
 * hands every other request to `fallback` (Koa's).
 */
export function withDirectRoutes(
  routes: RegisteredOperation[], outer: HttpMiddleware[], fallback: RequestListener, log: Logger,
): RequestListener {
  const compiled = routes.map((r) => compile(r, outer));
  return (req, res) => {
    for (const route of compiled) {
      const m = req.method === route.method ? route.pattern.exec(req.url ?? '') : null;
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => { params[name] = m[i + 1]; });
      const ctx = new DirectContext(req, res, params, route.template);
      // As Koa: a failure while responding is handled like one in the middleware.
      route.run(ctx).then(() => respond(ctx)).catch((e) => lastResort(ctx, e, log));
      return;
    }
    fallback(req, res);
  };
}
