import type { IncomingMessage } from 'node:http';
import type { ParsedUrlQuery } from 'node:querystring';

/**
 * What our middleware uses of a request's context: a subset of Koa's `Context`, so that the same
 * middleware runs under Koa and on the direct route (`direct-route.ts`), which serves the hot
 * operation without Koa's per-request objects.
 */
export interface HttpContext {
  readonly method: string;
  readonly req: IncomingMessage;
  /** The peer's address (the app never trusts proxy headers). */
  readonly ip: string;
  params: Record<string, string>;
  query: ParsedUrlQuery;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Koa's state is `any` too
  state: any;
  status: number;
  body: unknown;
  /** Set to a MIME type; reads back the Content-Type header. */
  type: string;
  /** The route template that matched (set by the router), for logs and metrics. */
  _matchedRoute?: string | RegExp;
  /** A request header, '' when absent. */
  get(field: string): string;
  /** A response header. */
  set(field: string, value: string): void;
}

export type HttpNext = () => Promise<unknown>;
export type HttpMiddleware = (ctx: HttpContext, next: HttpNext) => Promise<void>;
