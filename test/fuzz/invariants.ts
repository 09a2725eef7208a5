import { assertMatchesDocument, operationFor } from '../helpers/schema';
import type { FuzzRequest } from './requests';
import type { RawResponse } from './send';

/**
 * What any answer to any request must satisfy: a status from the expected set (200 only where
 * the input was actually valid, which the end-of-run count checks), and an error body in the
 * seed's shape for the operation (key order and reqId included). 500, 503, hangs and resets
 * are failures.
 */
export const ALLOWED = new Set([200, 400, 401, 403, 404, 405, 408, 413, 415, 422, 429, 431]);

export function checkResponse(req: FuzzRequest, res: RawResponse): void {
  if (!ALLOWED.has(res.status)) throw new Error(`status ${res.status}: ${res.text.slice(0, 300)}`);
  const operation = operationFor(req.method, req.path);
  if (req.method === 'HEAD' || (res.status < 300 && !operation)) return; // no body, or a probe
  if (res.status < 300 && !String(res.headers['content-type'] ?? '').startsWith('application/json')) return; // DER
  const body = JSON.parse(res.text);
  assertMatchesDocument(res.status, body, operation);
  if (res.status >= 400 && res.headers['x-request-id'] !== body.reqId) throw new Error('X-Request-Id differs from reqId');
}

/** Successful issuances a request stands for, to compare with new certificate rows. */
export const issued = (req: FuzzRequest, res: RawResponse): number =>
  res.status === 200 && req.method === 'POST' && /\/sign-intermediate$/.test(req.path.split(/[?#]/)[0]) ? 1 : 0;
