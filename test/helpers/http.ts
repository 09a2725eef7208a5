import { assertMatchesDocument, operationFor } from './schema';

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
  /** Skip the document check (only for non-JSON answers such as DER). */
  raw?: boolean;
}

/**
 * One HTTP request to a running daemon (in-process or spawned). Every response is checked
 * against the served OpenAPI document (the seed's schemas for the seed's operation) for its
 * status: no test can forget to.
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
  const method = opts.method ?? (body ? 'POST' : 'GET');
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
  if (!opts.raw) {
    assertMatchesDocument(res.status, parsed, operationFor(method, path));
    if (res.status >= 400) {
      if (res.headers.get('x-request-id') !== (parsed as { reqId: string }).reqId) {
        throw new Error('X-Request-Id header differs from the body reqId');
      }
    }
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
