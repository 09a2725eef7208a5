/**
 * A typed client for the daemon, made by openapi-fetch from the types openapi-typescript
 * generated out of the served OpenAPI document (`npm run api:types`, run by scripts/test.sh).
 * A call the document does not describe does not compile; a response that does not match the
 * document's schema for its operation and status fails the test (as `call()` does for the seed).
 */
import assert from 'node:assert/strict';
import createClient, { type Middleware } from 'openapi-fetch';
import { loadDocument } from '../../src/api/openapi';
import type { paths } from '../generated/api';
import { assertMatchesDocument } from './schema';

function operationIdOf(schemaPath: string, method: string): string {
  const op = loadDocument().paths[schemaPath]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${schemaPath} is not in the served OpenAPI document`);
  return op.operationId;
}

const validateResponses: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) return undefined;
    const body: unknown = await response.clone().json();
    assertMatchesDocument(response.status, body, operationIdOf(schemaPath, request.method));
    if (response.status >= 400) {
      assert.equal(response.headers.get('x-request-id'), (body as { reqId: string }).reqId, 'X-Request-Id header = body reqId');
    }
    return undefined;
  },
};

/** A client for the daemon at `baseUrl`, sending `token` as the bearer token when given. */
export function apiClient(baseUrl: string, token?: string) {
  const client = createClient<paths>({ baseUrl, headers: token ? { authorization: `Bearer ${token}` } : {} });
  client.use(validateResponses);
  return client;
}

export type ApiClient = ReturnType<typeof apiClient>;
