import { assertMatchesOperation, assertMatchesSeed } from './schema';

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestOptions {
  method?: string;
  token?: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as it is. */
  body?: unknown;
  /** Skip the seed-schema check (only for routes that are not the seed's operation). */
  raw?: boolean;
  /** A route of a feature document: its own operation's schema judges a 2xx (errors: the seed's). */
  operation?: string;
}

/**
 * One HTTP request to a running daemon (in-process or spawned). Every JSON response is checked
 * against the seed's schema for its status: no test can forget to.
 */
export async function call(base: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (typeof opts.body === 'string') body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method: opts.method ?? (body ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  let parsed: unknown;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
  if (!opts.raw) {
    if (opts.operation && res.status < 300) assertMatchesOperation(opts.operation, res.status, parsed);
    else if (res.status >= 400 || res.status === 200) assertMatchesSeed(res.status, parsed);
    if (res.status >= 400) {
      if (res.headers.get('x-request-id') !== (parsed as { reqId: string }).reqId) {
        throw new Error('X-Request-Id header differs from the body reqId');
      }
    }
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
