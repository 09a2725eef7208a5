import assert from 'node:assert/strict';
import { compileRequest, findOperation } from '../../../src/api/openapi';
import { ACTIONS } from '../../../src/auth/identity';

describe('api: the identity administration document', () => {
  const operations = ['listIdentities', 'createIdentity', 'getIdentity', 'updateIdentity', 'revokeIdentity',
    'listIdentityTokens', 'createIdentityToken', 'revokeIdentityToken'];

  it('is merged beside the seed, and every operation compiles', () => {
    for (const id of operations) {
      assert.match(findOperation(id).path, /^\/api\/v1\/hsmca\/identities/);
      assert.ok(compileRequest(id).params);
    }
  });

  it('allows exactly the actions the code knows, and `*`', () => {
    const grant = (findOperation('createIdentity').op.requestBody!.content['application/json'].schema as any).properties.grants.items;
    assert.deepEqual(grant.properties.action.enum, ['*', ...ACTIONS]);
  });
});
