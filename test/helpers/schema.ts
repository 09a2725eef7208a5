import assert from 'node:assert/strict';
import Ajv, { type ValidateFunction } from 'ajv';
import { compileResponse, findOperation, loadDocument } from '../../src/api/openapi';

const ajv = new Ajv({ allErrors: true, strict: false });
const cache = new Map<string, ValidateFunction>();

/** The documented operation for a request, by method and path template; undefined if none. */
export function operationFor(method: string, urlPath: string): string | undefined {
  const pathname = urlPath.split(/[?#]/)[0]; // a server reads no fragment either
  for (const [template, methods] of Object.entries(loadDocument().paths)) {
    const re = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    const op = methods[method.toLowerCase()];
    if (op && re.test(pathname)) return op.operationId;
  }
  return undefined;
}

/**
 * The document's response schema for an operation and status, compiled. A status the document
 * does not list for the operation (405, 413, 503, or a 404 for a path nobody documents) is
 * judged by the seed's 404 error schema with only the status enum changed: the seed's error
 * shape, never a hand-typed one.
 */
function validatorFor(operationId: string | undefined, status: number): ValidateFunction {
  const key = `${operationId}:${status}`;
  let v = cache.get(key);
  if (!v) {
    v = operationId ? compileResponse(operationId, status) : undefined;
    if (!v) {
      assert.ok(status >= 400, `operation ${operationId} documents no ${status} response`);
      const base = findOperation('signIntermediateCa').op.responses['404'].content!['application/json'].schema as {
        properties: Record<string, unknown>;
      };
      v = ajv.compile({ ...base, properties: { ...base.properties, statusCode: { type: 'number', enum: [status] } } });
    }
    cache.set(key, v);
  }
  return v;
}

/**
 * Asserts that `body` matches the served document's schema for `status` (the seed's, for the
 * seed's operation); error bodies also keep the contract's key order and reqId format.
 */
export function assertMatchesDocument(status: number, body: unknown, operationId: string | undefined): void {
  const v = validatorFor(operationId, status);
  assert.ok(v(body), `${operationId} ${status} does not match the document: ${JSON.stringify(v.errors)} body=${JSON.stringify(body)}`);
  if (status >= 400) {
    const keys = Object.keys(body as object);
    const expected = ['reqId', 'statusCode', 'message', 'error', 'details'].filter((k) => keys.includes(k));
    assert.deepEqual(keys, expected, 'error body key order');
    assert.match((body as { reqId: string }).reqId, /^req-[0-9A-Za-z]{14}$/);
    assert.equal((body as { statusCode: number }).statusCode, status);
  } else if (operationId === 'signIntermediateCa') {
    assert.deepEqual(Object.keys(body as object), ['certificate', 'certificateChain', 'issuingCaCertificate', 'serialNumber']);
  }
}
