import assert from 'node:assert/strict';
import Ajv, { type ValidateFunction } from 'ajv';
import { compileResponse, findOperation } from '../../src/api/openapi';

const cache = new Map<string, ValidateFunction>();

/**
 * The seed's response schema for a status, compiled from the project's copy of the document.
 * Statuses the seed does not list (405, 413, 503) are judged by the seed's 404 error schema
 * with only the status enum changed: the same error shape, never a hand-typed one.
 */
function validatorFor(operationId: string, status: number): ValidateFunction {
  const key = `${operationId}:${status}`;
  let v = cache.get(key);
  if (!v) {
    v = compileResponse(operationId, status);
    if (!v) {
      const base = findOperation(operationId).op.responses['404'].content!['application/json'].schema as {
        properties: Record<string, unknown>;
      };
      const schema = { ...base, properties: { ...base.properties, statusCode: { type: 'number', enum: [status] } } };
      v = compileAnySchema(schema);
    }
    cache.set(key, v);
  }
  return v;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compileAnySchema = (schema: object): ValidateFunction => ajv.compile(schema);

/** Asserts that `body` matches the seed's schema for `status`; error bodies also keep key order. */
export function assertMatchesSeed(status: number, body: unknown, operationId = 'signIntermediateCa'): void {
  const v = validatorFor(operationId, status);
  assert.ok(v(body), `response ${status} does not match the seed schema: ${JSON.stringify(v.errors)} body=${JSON.stringify(body)}`);
  if (status >= 400) {
    const keys = Object.keys(body as object);
    const expected = ['reqId', 'statusCode', 'message', 'error', 'details'].filter((k) => keys.includes(k));
    assert.deepEqual(keys, expected, 'error body key order');
    assert.match((body as { reqId: string }).reqId, /^req-[0-9A-Za-z]{14}$/);
    assert.equal((body as { statusCode: number }).statusCode, status);
  } else if (status === 200) {
    assert.deepEqual(Object.keys(body as object), ['certificate', 'certificateChain', 'issuingCaCertificate', 'serialNumber']);
  }
}

/** A 2xx of a feature-document operation (src/api/<feature>.openapi.yaml), by that document's schema. */
export function assertMatchesOperation(operationId: string, status: number, body: unknown): void {
  const v = compileResponse(operationId, status);
  assert.ok(v, `${operationId} declares no ${status} response`);
  assert.ok(v(body), `${operationId} ${status} does not match its schema: ${JSON.stringify(v.errors)} body=${JSON.stringify(body)}`);
}
