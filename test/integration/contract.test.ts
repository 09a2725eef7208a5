/**
 * Every row of the sign-intermediate contract table (shared design contract.md), in order:
 * status, `error`, `message` and key order (the latter two through the seed-schema check in
 * `call`), plus: a rejected request adds no certificate row but does add one audit event.
 */
import assert from 'node:assert/strict';
import * as x509 from '@peculiar/x509';
import { startHarness, type Harness } from '../helpers/harness';
import { call, type HttpResult } from '../helpers/http';
import crypto from 'node:crypto';
import { corruptSignature, craftCsr, nameDer, opensslCsr } from '../helpers/csr-factory';
import { encodeOid, encodeSequence } from '../../src/der';
import { authenticateBearer } from '../../src/auth/tokens';

const DAY = 24 * 3600 * 1000;
const path = (caId: string): string => `/api/v1/cert-manager/ca/internal/${encodeURIComponent(caId)}/sign-intermediate`;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('sign-intermediate contract table', function () {
  let h: Harness;
  let token: string;
  let root: { id: string; name: string };
  let csr: string;

  before(async () => {
    h = await startHarness();
    token = await h.token();
    root = await h.createRoot({ notBefore: new Date(Date.now() - 2 * DAY) });
    csr = opensslCsr('P-256').csr;
  });
  after(() => h.close());

  const counts = async (): Promise<[number, number]> => [await h.store.countCertificates(), (await h.store.listAuditEvents()).length];

  /** Sends, then asserts the exact status/error/message and that only an audit event was recorded. */
  async function rejected(
    send: () => Promise<HttpResult>,
    status: number,
    error: string,
    message?: string | RegExp,
  ): Promise<HttpResult> {
    const [certsBefore, auditBefore] = await counts();
    const res = await send();
    assert.equal(res.status, status, res.text);
    assert.equal(res.body.error, error);
    if (typeof message === 'string') assert.equal(res.body.message, message);
    else if (message) assert.match(res.body.message, message);
    const [certsAfter, auditAfter] = await counts();
    assert.equal(certsAfter, certsBefore, 'a rejected request must add no certificate row');
    assert.equal(auditAfter, auditBefore + 1, 'every request that reaches auth gets one audit event');
    return res;
  }

  const sign = (body: unknown, opts: { caId?: string; token?: string; headers?: Record<string, string> } = {}) =>
    call(h.base, path(opts.caId ?? root.id), { body, token: opts.token ?? token, headers: opts.headers });
  const valid = (extra: object = {}) => ({ csr, notAfter: iso(Date.now() + 30 * DAY), ...extra });

  it('row 1: missing, non-Bearer, unknown and revoked tokens → 401 UnauthorizedError', async () => {
    await rejected(() => call(h.base, path(root.id), { body: valid() }), 401, 'UnauthorizedError', 'Token missing');
    await rejected(() => sign(valid(), { headers: { authorization: 'Basic Zm9vOmJhcg==' }, token: '' }), 401, 'UnauthorizedError');
    await rejected(() => sign(valid(), { token: 'hsmca_not-a-real-token' }), 401, 'UnauthorizedError');
    const revoked = await h.token();
    const { tokenId } = await authenticateBearer(h.auth, `Bearer ${revoked}`);
    await h.store.db.updateTable('tokens').set({ revoked_at: new Date().toISOString() }).where('id', '=', tokenId!).execute();
    await rejected(() => sign(valid(), { token: revoked }), 401, 'UnauthorizedError', 'Token revoked');
  });

  it('row 1 comes before everything: no token and a bad body is still 401', async () => {
    await rejected(() => call(h.base, path('nope'), { body: 'not json', headers: { 'content-type': 'text/plain' } }),
      401, 'UnauthorizedError', 'Token missing');
  });

  it('row 2: expired token → 403 TokenError', async () => {
    const expired = await h.token(undefined, new Date(Date.now() - 1000));
    await rejected(() => sign(valid(), { token: expired }), 403, 'TokenError', 'Your token has expired. Please re-authenticate.');
  });

  it('row 3: body not JSON or wrong content type → 400 BadRequest', async () => {
    await rejected(() => sign('{"csr": ', { headers: { 'content-type': 'application/json' } }), 400, 'BadRequest',
      'Body is not valid JSON');
    await rejected(() => sign(JSON.stringify(valid()), { headers: { 'content-type': 'text/plain' } }), 400, 'BadRequest',
      'Content-Type must be application/json');
    // 0xff is never UTF-8: refused, not decoded to U+FFFD and judged as if the client had sent that.
    const notUtf8 = Buffer.concat([Buffer.from('{"csr": "'), Buffer.from([0xff]), Buffer.from('"}')]);
    await rejected(() => sign(notUtf8, { headers: { 'content-type': 'application/json' } }), 400, 'BadRequest',
      'Body is not valid UTF-8');
  });

  it('row 4: schema failures → 422 ValidationFailure with an array of issues', async () => {
    let res = await rejected(() => sign({ csr }), 422, 'ValidationFailure');
    assert.deepEqual(res.body.message, [{ code: 'invalid_type', path: ['notAfter'], message: 'Required' }]);
    res = await rejected(() => sign(valid({ extra: 1 })), 422, 'ValidationFailure');
    assert.deepEqual(res.body.message, [{ code: 'unrecognized_keys', path: [], message: 'Unrecognized key(s) in object' }]);
    res = await rejected(() => sign(valid({ maxPathLength: -2 })), 422, 'ValidationFailure');
    assert.deepEqual(res.body.message, [{ code: 'too_small', path: ['maxPathLength'], message: 'Number must be greater than or equal to -1' }]);
    res = await rejected(() => sign({ csr: 5, notAfter: 'tomorrow', maxPathLength: '1' }), 422, 'ValidationFailure');
    assert.deepEqual(res.body.message, [
      { code: 'invalid_type', path: ['csr'], message: 'Expected string, received number' },
      { code: 'invalid_type', path: ['maxPathLength'], message: 'Expected number, received string' },
      { code: 'invalid_string', path: ['notAfter'], message: 'Invalid date format' },
    ]);
    res = await rejected(() => sign(valid({ notBefore: '2026-02-30T00:00:00Z' })), 422, 'ValidationFailure');
    assert.deepEqual(res.body.message, [{ code: 'invalid_string', path: ['notBefore'], message: 'Invalid date format' }]);
    await rejected(() => sign([valid()]), 422, 'ValidationFailure');
    await rejected(() => sign(valid({ csr: '' })), 422, 'ValidationFailure');
  });

  it('row 5: unknown caId → 404 NotFound (Infisical says 422: a bug)', async () => {
    await rejected(() => sign(valid(), { caId: 'no-such-ca' }), 404, 'NotFound', "CA with ID 'no-such-ca' not found");
  });

  it('row 6: no sign-intermediate grant on this CA → 403 PermissionDenied with the grants', async () => {
    const other = await h.createRoot();
    const narrow = await h.token([{ action: 'sign-intermediate', ca: other.id }, { action: 'read', ca: root.name }]);
    const res = await rejected(() => sign(valid(), { token: narrow }), 403, 'PermissionDenied',
      'You are not allowed to sign-intermediate on certificate-authorities');
    assert.deepEqual(res.body.details.grants, [{ action: 'sign-intermediate', ca: other.id }, { action: 'read', ca: root.name }]);
    const byName = await h.token([{ action: 'sign-intermediate', ca: other.name }]);
    assert.equal((await sign(valid(), { caId: other.id, token: byName })).status, 200);
  });

  it('row 7: disabled CA → 400 CA is disabled', async () => {
    const ca = await h.createRoot();
    await h.store.db.updateTable('cas').set({ status: 'disabled' }).where('id', '=', ca.id).execute();
    await rejected(() => sign(valid(), { caId: ca.id }), 400, 'BadRequest', 'CA is disabled');
  });

  it('row 8: CA without a certificate → 400', async () => {
    const now = new Date().toISOString();
    await h.store.insertCa({
      id: 'pending-ca', name: 'pending-ca', status: 'pending-certificate', type: 'intermediate', key_algorithm: 'EC_prime256v1',
      key_ref: 'pkcs11:token=x;object=y', configuration: '{}', parent_ca_id: null, active_ca_cert_id: null,
      created_at: now, updated_at: now,
    });
    await rejected(() => sign(valid(), { caId: 'pending-ca' }), 400, 'BadRequest', 'CA does not have a certificate installed');
  });

  it('row 9: expired CA → 400 CA is expired', async () => {
    const ca = await h.createRoot({ notAfter: new Date(Date.now() + 1500) });
    await new Promise((r) => setTimeout(r, 2100));
    await rejected(() => sign(valid(), { caId: ca.id }), 400, 'BadRequest', 'CA is expired');
  });

  it('row 10: anything but one PKCS#10 PEM block → 400 Invalid CSR', async () => {
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const pem = (label: string, bytes: Buffer) =>
      `-----BEGIN ${label}-----\n${bytes.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`;
    for (const bad of [
      pem('CERTIFICATE', der),
      csr + csr,
      pem('CERTIFICATE REQUEST', Buffer.concat([der, Buffer.from([0, 0])])),
      '-----BEGIN CERTIFICATE REQUEST-----\n!!!!not base64!!!!\n-----END CERTIFICATE REQUEST-----',
      'hello',
      pem('CERTIFICATE REQUEST', der.subarray(0, der.length - 10)),
    ]) {
      await rejected(() => sign(valid({ csr: bad })), 400, 'BadRequest', /^Invalid CSR: /);
    }
  });

  it('row 10: CRLF, text around the block, no final newline and NEW CERTIFICATE REQUEST are fine', async () => {
    const body = csr.trim();
    for (const ok of [
      body.replace(/\n/g, '\r\n'),
      `Some text before\n${body}\nand after\n`,
      body,
      body.replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST'),
    ]) {
      const res = await sign(valid({ csr: ok }));
      assert.equal(res.status, 200, res.text);
    }
  });

  it('row 11: a CSR whose signature does not verify, or SHA-1 → 400 Invalid CSR: signature', async () => {
    await rejected(() => sign(valid({ csr: corruptSignature(csr) })), 400, 'BadRequest', 'Invalid CSR: signature does not verify');
    await rejected(() => sign(valid({ csr: opensslCsr('P-256', { digest: '-sha1' }).csr })), 400, 'BadRequest',
      /^Invalid CSR: signature algorithm/);
  });

  it('row 12: RSA-1024 → 400 Unsupported CSR key', async () => {
    const weak = opensslCsr('RSA-1024').csr;
    await rejected(() => sign(valid({ csr: weak })), 400, 'BadRequest', /^Unsupported CSR key: /);
  });

  it('row 13: empty subject or a commonName over 64 characters → 400', async () => {
    await rejected(() => sign(valid({ csr: opensslCsr('P-256', { subject: '/' }).csr })), 400, 'BadRequest',
      'CSR subject is empty');
    // OpenSSL refuses to write a 65-character CN; a careless generator does not.
    const long = craftCsr({
      subjectDer: nameDer(['2.5.4.3', 'a'.repeat(65)]),
      key: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      sigAlgDer: encodeSequence(encodeOid('1.2.840.10045.4.3.2')),
      sign: (info, key) => crypto.sign('sha256', info, key),
    }).pem;
    await rejected(() => sign(valid({ csr: long })), 400, 'BadRequest', 'CSR commonName exceeds 64 characters (RFC 5280 ub-common-name)');
  });

  it('row 14: maxPathLength not an integer → 400', async () => {
    await rejected(() => sign(valid({ maxPathLength: 1.5 })), 400, 'BadRequest', /integer/);
  });

  it('rows 15–16: parent path length constraints', async () => {
    const zero = await h.createRoot({ maxPathLength: 0 });
    await rejected(() => sign(valid(), { caId: zero.id }), 400, 'BadRequest',
      'Failed to issue intermediate certificate due to CA path length constraint');
    const one = await h.createRoot({ maxPathLength: 1 });
    await rejected(() => sign(valid({ maxPathLength: 1 }), { caId: one.id }), 400, 'BadRequest',
      "The requested path length constraint exceeds the CA's allowed path length");
  });

  it('row 17: notBefore before the CA certificate notBefore → 400', async () => {
    await rejected(() => sign(valid({ notBefore: iso(Date.now() - 3 * DAY) })), 400, 'BadRequest',
      "notBefore date is before CA certificate's notBefore date");
  });

  it('row 18: notBefore at or after notAfter → 400', async () => {
    const t = Date.now() + 5 * DAY;
    await rejected(() => sign(valid({ notBefore: iso(t), notAfter: iso(t) })), 400, 'BadRequest',
      'notBefore date is after notAfter date');
  });

  it('row 19: notAfter after the CA certificate notAfter → 400', async () => {
    await rejected(() => sign(valid({ notAfter: iso(Date.now() + 20 * 365 * DAY) })), 400, 'BadRequest',
      "notAfter date is after CA certificate's notAfter date");
  });

  it('row 20: notAfter in the past → 400', async () => {
    await rejected(() => sign(valid({ notBefore: iso(Date.now() - DAY), notAfter: iso(Date.now() - 3600_000) })), 400,
      'BadRequest', /past/);
  });

  it('413: a body over the limit', async () => {
    await rejected(() => sign(valid({ csr: 'x'.repeat(70 * 1024) })), 413, 'PayloadTooLarge');
  });

  it('unknown routes and methods answer in the error shape', async () => {
    const res = await call(h.base, '/api/v1/nothing', { token });
    assert.equal(res.status, 404);
    const res2 = await call(h.base, path(root.id), { method: 'GET', token });
    assert.equal(res2.status, 405);
  });

  it('200: the response is exactly the contract, and the row is committed', async () => {
    const res = await sign(valid({ maxPathLength: 0 }));
    assert.equal(res.status, 200);
    assert.match(res.body.serialNumber, /^[0-9a-f]{40}$/);
    for (const pem of [res.body.certificate, res.body.issuingCaCertificate, res.body.certificateChain]) {
      assert.ok(!pem.endsWith('\n') && !pem.includes('\r'));
      for (const line of pem.split('\n').filter((l: string) => !l.startsWith('-----'))) assert.ok(line.length <= 64);
    }
    assert.equal(res.body.certificateChain, res.body.issuingCaCertificate);
    const cert = new x509.X509Certificate(res.body.certificate);
    assert.equal(cert.serialNumber.toLowerCase(), res.body.serialNumber);
    const bc = cert.getExtension(x509.BasicConstraintsExtension)!;
    assert.equal(bc.ca, true);
    assert.equal(bc.pathLength, 0);
    const row = await h.store.getCertificateBySerial(root.id, res.body.serialNumber);
    assert.ok(row, 'certificate row committed before the 200');
    assert.equal(Buffer.from(row.der, 'base64').toString('base64'), Buffer.from(cert.rawData).toString('base64'));
    const audit = (await h.store.listAuditEvents()).at(-1)!;
    assert.equal(audit.outcome, 'issued');
    assert.equal(audit.serial, res.body.serialNumber);
    assert.equal(res.headers.get('x-request-id'), audit.req_id);
  });
});

describe('path length through the API: parent none/0/1/2 × request -1/0/1/2/3', function () {
  let h: Harness;
  let token: string;
  let csr: string;
  before(async () => {
    h = await startHarness();
    token = await h.token();
    csr = opensslCsr('P-256').csr;
  });
  after(() => h.close());

  const ROW15 = 'Failed to issue intermediate certificate due to CA path length constraint';
  const ROW16 = "The requested path length constraint exceeds the CA's allowed path length";
  // expected child pathLen (undefined = none) or the refusal message
  const MATRIX: [number, number, number | undefined | string][] = [
    [-1, -1, undefined], [-1, 0, 0], [-1, 1, 1], [-1, 2, 2], [-1, 3, 3],
    [0, -1, ROW15], [0, 0, ROW15], [0, 1, ROW15], [0, 2, ROW15], [0, 3, ROW15],
    [1, -1, 0], [1, 0, 0], [1, 1, ROW16], [1, 2, ROW16], [1, 3, ROW16],
    [2, -1, 1], [2, 0, 0], [2, 1, 1], [2, 2, ROW16], [2, 3, ROW16],
  ];

  it('issues exactly the pathLen the contract says, and pathLen 0 survives', async () => {
    const roots = new Map<number, string>();
    for (const p of [-1, 0, 1, 2]) roots.set(p, (await h.createRoot({ maxPathLength: p })).id);
    for (const [parent, requested, expected] of MATRIX) {
      const res = await call(h.base, path(roots.get(parent)!), {
        token, body: { csr, notAfter: iso(Date.now() + DAY), maxPathLength: requested },
      });
      const label = `parent ${parent}, request ${requested}`;
      if (typeof expected === 'string') {
        assert.equal(res.status, 400, label);
        assert.equal(res.body.message, expected, label);
        continue;
      }
      assert.equal(res.status, 200, `${label}: ${res.text}`);
      const bc = new x509.X509Certificate(res.body.certificate).getExtension(x509.BasicConstraintsExtension)!;
      assert.equal(bc.critical, true, label);
      assert.equal(bc.pathLength, expected, label);
    }
  });
});
