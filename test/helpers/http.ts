import https from 'node:https';
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
  /** An object is sent as JSON; a string or Buffer is sent as it is. */
  body?: unknown;
  /** Skip the document check (only for non-JSON answers such as DER). */
  raw?: boolean;
  /** A route of a feature document: its own operation's schema judges a 2xx (errors: the seed's). */
  operation?: string;
  /** For an https:// base: the CA to trust and the client certificate to present, PEM. */
  tls?: { ca: string; cert?: string; key?: string };
}

/**
 * One HTTP request to a running daemon (in-process or spawned). Every response is checked
 * against the served OpenAPI document (the seed's schemas for the seed's operation) for its
 * status: no test can forget to.
 */
export async function call(base: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Buffer | undefined;
  if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const method = opts.method ?? (body ? 'POST' : 'GET');
  if (opts.tls) {
    const res = await httpsRequest(base + path, { method, headers, ...opts.tls }, body);
    return judge(res.status, res.headers, res.text, method, path, opts);
  }
  const res = await fetch(base + path, { method, headers, body });
  return judge(res.status, res.headers, await res.text(), method, path, opts);
}

/** fetch cannot present a client certificate: node:https can. Rejects when the handshake fails. */
function httpsRequest(url: string, options: https.RequestOptions, body?: string | Buffer): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...options, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('error', reject).on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode!, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Parses a response and checks it against the schema for its status (see `call`). */
function judge(status: number, headers: Headers, text: string, method: string, path: string, opts: RequestOptions = {}): HttpResult {
  let parsed: unknown;
  if ((headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
  if (!opts.raw) {
    assertMatchesDocument(status, parsed, opts.operation ?? operationFor(method, path));
    if (status >= 400) {
      if (headers.get('x-request-id') !== (parsed as { reqId: string }).reqId) {
        throw new Error('X-Request-Id header differs from the body reqId');
      }
    }
  }
  return { status, headers, body: parsed, text };
}
