/**
 * Who may call what: every 401/403 case with its exact body, grants per CA (id, name, `*`),
 * revoked and expired tokens and identities, and the admin-only identity API.
 */
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness';
import { call, type HttpResult } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import type { Grant } from '../../src/auth/identity';

const DAY = 24 * 3600 * 1000;
const signPath = (caId: string): string => `/api/v1/cert-manager/ca/internal/${encodeURIComponent(caId)}/sign-intermediate`;
const API = '/api/v1/hsmca/identities';

/** The whole error body, exactly (reqId is checked for shape by `call`). */
function expectBody(res: HttpResult, status: number, error: string, message: string, details?: unknown): void {
  const expected: Record<string, unknown> = { reqId: res.body?.reqId, statusCode: status, message, error };
  if (details !== undefined) expected.details = details;
  assert.deepEqual(res.body, expected, res.text);
  assert.equal(res.status, status);
}

describe('identities, grants and the 401/403 rules', function () {
  let h: Harness;
  let caA: { id: string; name: string };
  let caB: { id: string; name: string };
  let csr: string;
  let admin: string;

  before(async () => {
    h = await startHarness();
    caA = await h.createRoot({ name: 'ca-a' });
    caB = await h.createRoot({ name: 'ca-b' });
    csr = opensslCsr('P-256').csr;
    admin = await h.token([{ action: 'manage-identities', ca: '*' }]);
  });
  after(() => h.close());

  const sign = (caId: string, token?: string, headers?: Record<string, string>) =>
    call(h.base, signPath(caId), { token, headers, body: { csr, notAfter: new Date(Date.now() + DAY).toISOString() } });
  const api = (path: string, opts: { method?: string; body?: unknown; token?: string; operation?: string } = {}) =>
    call(h.base, API + path, { token: admin, ...opts });

  it('401: no header, not Bearer, unknown token — exact bodies', async () => {
    expectBody(await sign(caA.id), 401, 'UnauthorizedError', 'Token missing');
    expectBody(await sign(caA.id, undefined, { authorization: 'Basic Zm9vOmJhcg==' }), 401, 'UnauthorizedError',
      'Authorization header must be Bearer <token>');
    expectBody(await sign(caA.id, 'hsmca_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 401, 'UnauthorizedError', 'Invalid token');
    expectBody(await sign(caA.id, 'not-even-our-prefix'), 401, 'UnauthorizedError', 'Invalid token');
  });

  it('401: a revoked token, and every token of a revoked identity', async () => {
    const created = await api('', { method: 'POST', operation: 'createIdentity', body: { name: 'revokee', grants: [{ action: '*', ca: '*' }] } });
    const t1 = await api('/revokee/tokens', { method: 'POST', operation: 'createIdentityToken', body: {} });
    const t2 = await api(`/${created.body.id}/tokens`, { method: 'POST', operation: 'createIdentityToken', body: { name: 'second' } });
    assert.equal((await sign(caA.id, t1.body.token)).status, 200);
    const revoked = await api(`/revokee/tokens/${t1.body.id}`, { method: 'DELETE', operation: 'revokeIdentityToken' });
    assert.ok(revoked.body.revokedAt);
    expectBody(await sign(caA.id, t1.body.token), 401, 'UnauthorizedError', 'Token revoked');
    assert.equal((await sign(caA.id, t2.body.token)).status, 200);
    await api('/revokee', { method: 'DELETE', operation: 'revokeIdentity' });
    expectBody(await sign(caA.id, t2.body.token), 401, 'UnauthorizedError', 'Identity revoked');
  });

  it('403 TokenError: an expired token, and a live token of an expired identity', async () => {
    const expired = await h.token(undefined, new Date(Date.now() - 1000));
    expectBody(await sign(caA.id, expired), 403, 'TokenError', 'Your token has expired. Please re-authenticate.');
    const id = await h.token();
    assert.equal((await sign(caA.id, id)).status, 200);
    const name = (await h.store.identities.listIdentities()).at(-1)!.name;
    await h.store.db.updateTable('identities').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('name', '=', name).execute();
    expectBody(await sign(caA.id, id), 403, 'TokenError', 'Your token has expired. Please re-authenticate.');
  });

  it('the audit event of a refused credential still names its identity and token', async () => {
    const expired = await h.token(undefined, new Date(Date.now() - 1000));
    const res = await sign(caA.id, expired);
    const event = (await h.store.audit.events()).at(-1)!;
    const name = (await h.store.identities.listIdentities()).at(-1)!.name;
    assert.deepEqual([event.req_id, event.identity, event.outcome, event.status], [res.body.reqId, name, 'denied', 403]);
    assert.match(event.credential!, /^token:[0-9a-f-]{36}$/);
    await sign(caA.id, 'hsmca_unknown');
    const unknown = (await h.store.audit.events()).at(-1)!;
    assert.deepEqual([unknown.identity, unknown.credential], [null, null]);
  });

  it('403 PermissionDenied: a token granted on CA A is refused on CA B, with the grants in details', async () => {
    const grants: Grant[] = [{ action: 'sign-intermediate', ca: caA.id }, { action: 'read', ca: caB.name }];
    const token = await h.token(grants);
    assert.equal((await sign(caA.id, token)).status, 200);
    const name = (await h.store.identities.listIdentities()).at(-1)!.name;
    expectBody(await sign(caB.id, token), 403, 'PermissionDenied',
      'You are not allowed to sign-intermediate on certificate-authorities', { identity: name, grants });
  });

  it('grants by CA name, `*` CA and `*` action all work; another action on the CA does not', async () => {
    for (const g of [{ action: 'sign-intermediate', ca: 'ca-b' }, { action: 'sign-intermediate', ca: '*' }, { action: '*', ca: caB.id }, { action: '*', ca: '*' }] as Grant[]) {
      assert.equal((await sign(caB.id, await h.token([g]))).status, 200, JSON.stringify(g));
    }
    const readOnly = await h.token([{ action: 'read', ca: '*' }, { action: 'issue-ca-certificate', ca: caB.id }]);
    assert.equal((await sign(caB.id, readOnly)).status, 403);
  });

  it('the admin API is admin-only: a plain token gets 403 before its body is even read', async () => {
    const plain = await h.token([{ action: '*', ca: caA.id }, { action: 'manage-identities', ca: caA.id }]);
    const name = (await h.store.identities.listIdentities()).at(-1)!.name;
    for (const [method, path] of [['GET', ''], ['POST', ''], ['GET', '/x'], ['PATCH', '/x'], ['DELETE', '/x'], ['POST', '/x/tokens']]) {
      const res = await api(path, { method, token: plain, body: method === 'POST' || method === 'PATCH' ? 'not json' : undefined });
      expectBody(res, 403, 'PermissionDenied', 'You are not allowed to manage-identities on identities', {
        identity: name, grants: [{ action: '*', ca: caA.id }, { action: 'manage-identities', ca: caA.id }],
      });
    }
    expectBody(await api('', { token: '' }), 401, 'UnauthorizedError', 'Token missing');
  });

  it('admin API: create, read, update, list, tokens; secrets shown once; 404/400/422 in the error shape', async () => {
    const created = await api('', {
      method: 'POST', operation: 'createIdentity',
      body: { name: 'deployer', grants: [{ action: 'sign-intermediate', ca: 'ca-a' }], clientSubjects: ['O=Corp,CN=deployer'], clientSans: ['DNS:Deploy.Example'] },
    });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(created.body.clientSubjects, ['O=Corp, CN=deployer']);
    assert.deepEqual(created.body.clientSans, ['dns:deploy.example']);
    const token = await api('/deployer/tokens', { method: 'POST', operation: 'createIdentityToken', body: { expiresAt: new Date(Date.now() + DAY).toISOString() } });
    assert.match(token.body.token, /^hsmca_[A-Za-z0-9_-]{43}$/);
    const listed = await api('/deployer/tokens', { operation: 'listIdentityTokens' });
    assert.equal(listed.body.tokens.length, 1);
    assert.ok(!listed.text.includes(token.body.token), 'a token list never carries a secret');
    assert.equal((await sign(caB.id, token.body.token)).status, 403);
    const patched = await api('/deployer', { method: 'PATCH', operation: 'updateIdentity', body: { grants: [{ action: 'sign-intermediate', ca: 'ca-b' }] } });
    assert.deepEqual(patched.body.grants, [{ action: 'sign-intermediate', ca: 'ca-b' }]);
    assert.equal((await sign(caB.id, token.body.token)).status, 200);
    assert.ok((await api('', { operation: 'listIdentities' })).body.identities.some((i: { name: string }) => i.name === 'deployer'));
    assert.equal((await api(`/${created.body.id}`, { operation: 'getIdentity' })).body.name, 'deployer');

    expectBody(await api('/nobody'), 404, 'NotFound', "Identity 'nobody' not found");
    expectBody(await api('', { method: 'POST', body: { name: 'deployer', grants: [] } }), 400, 'BadRequest', "An identity named 'deployer' already exists");
    expectBody(await api('', { method: 'POST', body: { name: 'other', grants: [], clientSubjects: ['o = Corp,CN = deployer'] } }), 400, 'BadRequest',
      'A client certificate mapping is already used by another identity');
    const bad = await api('', { method: 'POST', body: { name: 'x', grants: [{ action: 'fly', ca: '*' }], extra: 1 } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.message.map((i: { path: unknown[] }) => i.path), [[], ['grants', 0, 'action']]);
    assert.equal((await api('', { method: 'POST', body: { name: 'y', grants: [], expiresAt: 'tomorrow' } })).status, 422);
    expectBody(await api('/deployer/tokens/nope', { method: 'DELETE' }), 404, 'NotFound', "Token 'nope' not found");
  });

  it('each admin call is one audit event naming the admin, the action and the target', async () => {
    const before = (await h.store.audit.events()).length;
    const created = await api('', { method: 'POST', operation: 'createIdentity', body: { name: 'audited', grants: [] } });
    const events = (await h.store.audit.events()).slice(before);
    assert.equal(events.length, 1);
    assert.equal(events[0].action, 'manage-identities');
    assert.equal(events[0].target, `identity:${created.body.id}`);
    assert.equal(events[0].outcome, 'issued');
    assert.match(events[0].credential!, /^token:[0-9a-f-]{36}$/);
    assert.equal(events[0].req_id, created.headers.get('x-request-id'));
  });
});
