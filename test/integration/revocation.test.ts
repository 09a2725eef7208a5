/**
 * Revoke an intermediate and tell the world: the CRL is signed in the token, served without a
 * token at the URL the certificate carries, and OpenSSL and GnuTLS accept the leaf under the
 * intermediate before the revocation and reject it after.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { toPem } from '../../src/ca/pem';
import { startHarness, type Harness } from '../helpers/harness';
import { call } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import { signLeafWithOpenssl } from '../helpers/judges';

const BASE = '/api/v1/cert-manager';

/** A CRL for the test's own intermediate (OpenSSL wants one for every CA with -crl_check_all). */
function emptyCrl(dir: string, certPem: string, keyPem: string): string {
  const f = (n: string) => path.join(dir, n);
  fs.writeFileSync(f('int.pem'), certPem);
  fs.writeFileSync(f('int.key'), keyPem);
  fs.writeFileSync(f('index.txt'), '');
  fs.writeFileSync(f('ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndatabase=${f('index.txt')}\ndefault_md=sha256\ndefault_crl_days=1\n`);
  execFileSync('openssl', ['ca', '-gencrl', '-config', f('ca.cnf'), '-keyfile', f('int.key'), '-cert', f('int.pem'),
    '-out', f('int.crl')], { stdio: 'pipe' });
  return fs.readFileSync(f('int.crl'), 'utf8');
}

const crlNumber = (pem: string): number => {
  const out = execFileSync('openssl', ['crl', '-noout', '-crlnumber'], { input: pem }).toString();
  return parseInt(out.trim().split('=')[1], 16);
};

describe('revocation and CRLs', function () {
  this.timeout(60_000);
  let h: Harness;
  let token: string;
  let dir: string;
  let root: { id: string; pem: string };
  let int: { certificate: string; serial: string; key: string };
  let leaf: string;
  let intCrl: string;

  const fetchCrl = async (url: string): Promise<string> => {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
    return toPem(Buffer.from(await res.arrayBuffer()), 'X509 CRL');
  };

  const judge = (crl: string): { openssl: boolean; gnutls: boolean; out: string } => {
    const f = (n: string, text: string) => {
      fs.writeFileSync(path.join(dir, n), `${text.trim()}\n`);
      return path.join(dir, n);
    };
    const rootFile = f('root.pem', root.pem);
    const crls = f('crls.pem', `${crl}\n${intCrl}`);
    const o = spawnSync('openssl', ['verify', '-x509_strict', '-crl_check_all', '-CAfile', rootFile, '-untrusted',
      f('u.pem', int.certificate), '-CRLfile', crls, f('leaf.pem', leaf)], { encoding: 'utf8' });
    const g = spawnSync('certtool', ['--verify', '--verify-profile=medium', '--load-ca-certificate', rootFile, '--load-crl',
      f('rootcrl.pem', crl), '--infile', f('chain.pem', `${leaf}\n${int.certificate}`)], { encoding: 'utf8' });
    return {
      openssl: o.status === 0 && /: OK\s*$/.test(o.stdout),
      gnutls: g.status === 0 && g.stdout.includes('Chain verification output: Verified.'),
      out: `${o.stdout}${o.stderr}\n${g.stdout}${g.stderr}`,
    };
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-crl-'));
    h = await startHarness({ publicBaseUrl: true });
    token = await h.token();
    const r = await h.createRoot({ keyAlgorithm: 'EC_secp384r1', commonName: 'CRL Root' });
    const got = await call(h.base, `${BASE}/ca/internal/${r.id}/certificate`, { token });
    root = { id: r.id, pem: got.body.certificate };
    const { csr, keyPem } = opensslCsr('P-256', { subject: '/CN=Revocable Intermediate' });
    const res = await call(h.base, `${BASE}/ca/internal/${r.id}/sign-intermediate`, {
      token, body: { csr, notAfter: new Date(Date.now() + 86400_000 * 30).toISOString() },
    });
    int = { certificate: res.body.certificate, serial: res.body.serialNumber, key: keyPem };
    leaf = signLeafWithOpenssl(int.certificate, keyPem).certPem;
    intCrl = emptyCrl(dir, int.certificate, keyPem);
  });
  after(async () => {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('issued certificates carry the CRL distribution point, and the CRL verifies against the CA', async () => {
    const cdp = new x509.X509Certificate(int.certificate).getExtension(x509.CRLDistributionPointsExtension)!;
    const url = cdp.distributionPoints[0].distributionPoint!.fullName![0].uniformResourceIdentifier!;
    assert.equal(url, `${h.base}${BASE}/crl/${root.id}/der`);
    const crl = await fetchCrl(url);
    fs.writeFileSync(path.join(dir, 'r.pem'), root.pem);
    const v = spawnSync('openssl', ['crl', '-verify', '-noout', '-CAfile', path.join(dir, 'r.pem')], { input: crl, encoding: 'utf8' });
    assert.match(v.stderr + v.stdout, /verify OK/);
    const text = execFileSync('openssl', ['crl', '-noout', '-text'], { input: crl }).toString();
    assert.match(text, /Version 2/);
    assert.match(text, /Authority Key Identifier/);
    assert.match(text, /Next Update/);
  });

  it('the leaf under the intermediate verifies with CRL checks before the revocation', async () => {
    const verdict = judge(await fetchCrl(`${h.base}${BASE}/crl/${root.id}/der`));
    assert.ok(verdict.openssl && verdict.gnutls, verdict.out);
  });

  it('revokes by serial number; the next CRL lists it with its reason; the leaf is then rejected', async () => {
    const before = crlNumber(await fetchCrl(`${h.base}${BASE}/crl/${root.id}/der`));
    const res = await call(h.base, `${BASE}/certificates/${int.serial}/revoke`, { token, body: { revocationReason: 'KEY_COMPROMISE' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.serialNumber, int.serial);
    const crl = await fetchCrl(`${h.base}${BASE}/crl/${root.id}/der`);
    assert.ok(crlNumber(crl) > before, 'CRL numbers only grow');
    const text = execFileSync('openssl', ['crl', '-noout', '-text'], { input: crl }).toString();
    assert.match(text.replace(/\s/g, ''), new RegExp(int.serial.toUpperCase()));
    assert.match(text, /Key Compromise/);
    const verdict = judge(crl);
    assert.ok(!verdict.openssl && !verdict.gnutls, verdict.out);
    assert.match(verdict.out, /certificate revoked/);
  });

  it('revoking twice is a 400, an unknown certificate a 404, a bad reason a 422', async () => {
    let res = await call(h.base, `${BASE}/certificates/${int.serial}/revoke`, { token, body: { revocationReason: 'SUPERSEDED' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.message, 'Certificate is already revoked');
    res = await call(h.base, `${BASE}/certificates/${'ab'.repeat(20)}/revoke`, { token, body: { revocationReason: 'SUPERSEDED' } });
    assert.equal(res.status, 404);
    res = await call(h.base, `${BASE}/certificates/${int.serial}/revoke`, { token, body: { revocationReason: 'BORED' } });
    assert.equal(res.status, 422);
  });

  it('revocation needs the revoke permission on the issuing CA', async () => {
    const reader = await h.token([{ action: 'read', ca: root.id }, { action: 'sign-intermediate', ca: root.id }]);
    const { csr } = opensslCsr('P-256');
    const issued = await call(h.base, `${BASE}/ca/internal/${root.id}/sign-intermediate`, {
      token: reader, body: { csr, notAfter: new Date(Date.now() + 86400_000).toISOString() },
    });
    const res = await call(h.base, `${BASE}/certificates/${issued.body.serialNumber}/revoke`, {
      token: reader, body: { revocationReason: 'SUPERSEDED' },
    });
    assert.equal(res.status, 403);
    assert.equal(res.body.message, 'You are not allowed to revoke on certificate-authorities');
  });

  it('shows and lists issued certificates, and serves the CRL as PEM to a reader', async () => {
    const shown = await call(h.base, `${BASE}/certificates/${int.serial}`, { token });
    assert.equal(shown.body.certificate.status, 'revoked');
    assert.equal(shown.body.certificate.revocationReason, 'KEY_COMPROMISE');
    const byId = await call(h.base, `${BASE}/certificates/${shown.body.certificate.id}`, { token });
    assert.equal(byId.body.certificate.serialNumber, int.serial);
    const list = await call(h.base, `${BASE}/ca/internal/${root.id}/issued-certificates?limit=1`, { token });
    assert.equal(list.body.totalCount, 2);
    assert.equal(list.body.certificates.length, 1);
    assert.equal(list.body.certificates[0].serialNumber, int.serial);
    const bad = await call(h.base, `${BASE}/ca/internal/${root.id}/issued-certificates?limit=0`, { token });
    assert.equal(bad.status, 422);
    const crls = await call(h.base, `${BASE}/ca/internal/${root.id}/crls`, { token });
    assert.equal(crls.body.length, 1);
    assert.match(crls.body[0].crl, /^-----BEGIN X509 CRL-----\n/);
    assert.equal((await fetch(`${h.base}${BASE}/crl/nope/der`)).status, 404);
  });
});
