/**
 * A whole hierarchy over HTTP only: root R (P-384) → A (RSA-3072, internal parent) → B (P-256,
 * external flow: CSR, signed by A's sign-intermediate, imported) → an outside intermediate →
 * a leaf; every judge accepts the chain; path lengths, refusals, renewal and AIA hold.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { startHarness, type Harness } from '../helpers/harness';
import { call } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import { allAccept, describeVerdict, judgeChain, signLeafWithOpenssl } from '../helpers/judges';

const BASE = '/api/v1/cert-manager/ca/internal';
const YEAR = 365 * 86400_000;
const inYears = (n: number): string => new Date(Date.now() + n * YEAR).toISOString();
const pathLenOf = (pem: string): number | undefined =>
  new x509.X509Certificate(pem).getExtension(x509.BasicConstraintsExtension)?.pathLength;
const spkiOf = (pem: string): string => Buffer.from(new x509.X509Certificate(pem).publicKey.rawData).toString('hex');

describe('CA hierarchy through the API', function () {
  this.timeout(120_000);
  let h: Harness;
  let token: string;
  const ids: Record<string, string> = {};
  const certs: Record<string, string> = {};
  let outside: { certificate: string; key: string };

  const api = (p: string, opts: { method?: string; body?: unknown } = {}) => call(h.base, `${BASE}${p}`, { token, ...opts });
  const ok = async (p: string, opts: { method?: string; body?: unknown } = {}) => {
    const res = await api(p, opts);
    assert.equal(res.status, 200, `${opts.method ?? 'GET'} ${p}: ${res.text}`);
    return res.body;
  };
  const create = (name: string, type: string, keyAlgorithm: string, extra: object = {}) =>
    ok('', { body: { name, configuration: { type, commonName: name, organization: 'hsmca tests', keyAlgorithm, ...extra } } });

  before(async () => {
    h = await startHarness({ publicBaseUrl: true });
    token = await h.token();
  });
  after(() => h.close());

  it('R: a P-384 root with pathLen 3, self-signed in the token and active', async () => {
    const r = await create('R', 'root', 'EC_secp384r1', { maxPathLength: 3, notAfter: inYears(20), country: 'NL' });
    assert.equal(r.status, 'active');
    assert.equal(r.type, 'internal');
    assert.equal(r.configuration.maxPathLength, 3);
    assert.equal(r.configuration.dn, 'C=NL, O=hsmca tests, CN=R');
    ids.R = r.id;
    certs.R = (await ok(`/${r.id}/certificate`)).certificate;
    assert.equal(pathLenOf(certs.R), 3);
  });

  it('A: an RSA-3072 intermediate, pending until its internal parent R signs it (pathLen 2)', async () => {
    const a = await create('A', 'intermediate', 'RSA_3072');
    assert.equal(a.status, 'pending-certificate');
    ids.A = a.id;
    const issued = await ok(`/${a.id}/certificate`, { body: { parentCaId: ids.R, notAfter: inYears(10) } });
    assert.equal(issued.certificateChain, certs.R);
    certs.A = issued.certificate;
    assert.equal(pathLenOf(certs.A), 2);
    const view = await ok(`/${a.id}`);
    assert.equal(view.status, 'active');
    assert.equal(view.configuration.parentCaId, ids.R);
    const record = await h.store.getCertificateBySerial(ids.R, issued.serialNumber);
    assert.ok(record, 'the parent recorded what it issued, as sign-intermediate does');
  });

  it('B: a P-256 intermediate by the external flow (CSR → sign-intermediate on A → import), pathLen 1', async () => {
    const b = await create('B', 'intermediate', 'EC_prime256v1');
    ids.B = b.id;
    const { csr } = await ok(`/${b.id}/csr`);
    assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const signed = await ok(`/${ids.A}/sign-intermediate`, { body: { csr, notAfter: inYears(5) } });
    assert.equal(pathLenOf(signed.certificate), 1);
    const imported = await ok(`/${b.id}/import-certificate`, {
      body: { certificate: signed.certificate, certificateChain: signed.certificateChain },
    });
    assert.equal(imported.status, 'active');
    certs.B = signed.certificate;
    assert.equal((await ok(`/${b.id}/certificate`)).certificateChain, `${certs.A}\n${certs.R}`);
  });

  it('B signs an outside intermediate (pathLen 0 by default); chain and leaf pass every judge', async () => {
    const { csr, keyPem } = opensslCsr('P-384', { subject: '/O=outside/CN=Outside Intermediate' });
    const res = await ok(`/${ids.B}/sign-intermediate`, { body: { csr, notAfter: inYears(2) } });
    assert.equal(pathLenOf(res.certificate), 0);
    assert.equal(res.certificateChain, `${certs.B}\n${certs.A}\n${certs.R}`);
    outside = { certificate: res.certificate, key: keyPem };
    const chain = [certs.B, certs.A];
    const asCa = await judgeChain({ root: certs.R, intermediates: chain, target: res.certificate });
    assert.ok(allAccept(asCa), describeVerdict(asCa));
    const leaf = signLeafWithOpenssl(res.certificate, keyPem);
    const asLeaf = await judgeChain({ root: certs.R, intermediates: [res.certificate, ...chain], target: leaf.certPem });
    assert.ok(allAccept(asLeaf) && asLeaf.openssl.ok && asLeaf.gnutls.ok && asLeaf.nss.ok, describeVerdict(asLeaf));
  });

  it('an internal CA whose pathLen is 0 refuses sign-intermediate', async () => {
    const c = await create('C', 'intermediate', 'EC_prime256v1');
    ids.C = c.id;
    const issued = await ok(`/${c.id}/certificate`, { body: { parentCaId: ids.B, notAfter: inYears(1) } });
    certs.C = issued.certificate;
    assert.equal(pathLenOf(certs.C), 0);
    const res = await api(`/${c.id}/sign-intermediate`, { body: { csr: opensslCsr('P-256').csr, notAfter: inYears(1) } });
    assert.equal(res.status, 400);
    assert.equal(res.body.message, 'Failed to issue intermediate certificate due to CA path length constraint');
  });

  it('renewing keeps the key and pathLen 0, and lists every version oldest first', async () => {
    const renewed = await ok(`/${ids.C}/renew`, { body: { type: 'existing', notAfter: inYears(1.5) } });
    assert.equal(pathLenOf(renewed.certificate), 0);
    assert.equal(spkiOf(renewed.certificate), spkiOf(certs.C));
    assert.notEqual(renewed.serialNumber, new x509.X509Certificate(certs.C).serialNumber.toLowerCase());
    const versions = await ok(`/${ids.C}/ca-certificates`);
    assert.deepEqual(versions.map((v: { version: number }) => v.version), [1, 2]);
    assert.equal(versions[0].certificate, certs.C);
    assert.equal(versions[1].certificate, renewed.certificate);
    const rootRenewed = await ok(`/${ids.R}/renew`, { body: { type: 'existing', notAfter: inYears(25) } });
    assert.equal(pathLenOf(rootRenewed.certificate), 3);
    assert.equal(spkiOf(rootRenewed.certificate), spkiOf(certs.R));
    const external = await api(`/${ids.B}/renew`, { body: { type: 'existing', notAfter: inYears(1) } });
    assert.equal(external.status, 400);
    assert.match(external.body.message, /external parent/);
  });

  it('disabled and pending CAs refuse with the contract messages', async () => {
    const csr = opensslCsr('P-256').csr;
    const disabled = await ok(`/${ids.C}`, { method: 'PATCH', body: { status: 'disabled' } });
    assert.equal(disabled.status, 'disabled');
    let res = await api(`/${ids.C}/sign-intermediate`, { body: { csr, notAfter: inYears(1) } });
    assert.equal(res.body.message, 'CA is disabled');
    const pending = await create('P', 'intermediate', 'EC_prime256v1');
    ids.P = pending.id;
    res = await api(`/${pending.id}/sign-intermediate`, { body: { csr, notAfter: inYears(1) } });
    assert.equal(res.status, 400);
    assert.equal(res.body.message, 'CA does not have a certificate installed');
    res = await api(`/${ids.R}/csr`);
    assert.equal(res.status, 400);
    assert.equal(res.body.message, 'Root CA cannot generate CSR');
  });

  it('import refuses a wrong key, a non-CA certificate and a broken chain, each saying why', async () => {
    const refuse = async (certificate: string, certificateChain: string, message: RegExp) => {
      const res = await api(`/${ids.P}/import-certificate`, { body: { certificate, certificateChain } });
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.message, message);
      assert.equal((await ok(`/${ids.P}`)).status, 'pending-certificate');
    };
    await refuse(certs.A, certs.R, /public key is not this CA's key/);
    const { csr } = await ok(`/${ids.P}/csr`);
    const ext = externalCa();
    await refuse(ext.sign(csr, false), ext.root, /is not a CA certificate/);
    const good = ext.sign(csr, true);
    await refuse(good, certs.R, /chain does not build/);
    await refuse(good, `${ext.root}\n${certs.R}`, /not on the path/);
    await refuse('not a certificate', ext.root, /certificate/);
    const imported = await ok(`/${ids.P}/import-certificate`, { body: { certificate: good, certificateChain: ext.root } });
    assert.equal(imported.status, 'active');
  });

  it('the AIA caIssuers URL of an issued certificate serves its issuer DER without a token', async () => {
    const aia = new x509.X509Certificate(outside.certificate).getExtension(x509.AuthorityInfoAccessExtension)!;
    const url = aia.caIssuers[0].value;
    assert.ok(url.startsWith(h.base), url);
    const res = await call(h.base, url.slice(h.base.length), { raw: true });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pkix-cert');
    const der = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.equal(der.toString('base64'), Buffer.from(new x509.X509Certificate(certs.B).rawData).toString('base64'));
  });

  it('every CA key was generated in the token: sensitive, never extractable', async () => {
    for (const name of ['R', 'A', 'B', 'C', 'P']) {
      const ca = await ok(`/${ids[name]}`);
      const { privateKey } = await h.keyStore.inspectKey(ca.keyRef);
      assert.deepEqual([privateKey.sensitive, privateKey.extractable, privateKey.neverExtractable], [true, false, true], name);
    }
  });

  it('adopts a key a key ceremony put in the token (keyRef), and refuses one already in use', async () => {
    const ceremony = await h.keyStore.generateKeyInToken('EC_secp384r1', 'ceremony-2026');
    const ca = await ok('', { body: { name: 'ceremony-root', keyRef: ceremony.uri,
      configuration: { type: 'root', commonName: 'Ceremony Root', notAfter: inYears(10) } } });
    assert.equal(ca.keyRef, ceremony.uri);
    assert.equal(ca.configuration.keyAlgorithm, 'EC_secp384r1');
    assert.equal(spkiOf((await ok(`/${ca.id}/certificate`)).certificate), ceremony.spki.toString('hex'));
    const again = await api('', { body: { name: 'twice', keyRef: ceremony.uri, configuration: { type: 'root', commonName: 'x' } } });
    assert.equal(again.status, 400);
    assert.match(again.body.message, /already the key of CA 'ceremony-root'/);
  });

  it('lists, renames and deletes; the key stays in the HSM after DELETE', async () => {
    const list = await ok('');
    assert.ok(list.length >= 6);
    const renamed = await ok(`/${ids.P}`, { method: 'PATCH', body: { name: 'P-renamed' } });
    assert.equal(renamed.name, 'P-renamed');
    const deleted = await ok(`/${ids.P}`, { method: 'DELETE' });
    assert.equal((await api(`/${ids.P}`)).status, 404);
    assert.equal((await h.keyStore.inspectKey(deleted.keyRef)).privateKey.sensitive, true);
  });

  it('at least one DN field, and valid names, are required', async () => {
    const res = await api('', { body: { name: 'empty', configuration: { type: 'root', keyAlgorithm: 'EC_prime256v1' } } });
    assert.equal(res.status, 400);
    const bad = await api('', { body: { name: 'x', configuration: { type: 'leaf' } } });
    assert.equal(bad.status, 422);
  });
});

/** An outside root made with openssl, able to sign CSRs as CA or as a leaf. */
function externalCa(): { root: string; sign(csr: string, ca: boolean): string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-extca-'));
  const f = (n: string) => path.join(dir, n);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('root.key'),
    '-subj', '/CN=External Root', '-days', '3650', '-out', f('root.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'pipe' });
  let n = 0;
  return {
    root: fs.readFileSync(f('root.pem'), 'utf8').trim(),
    sign(csr, ca) {
      const id = ++n;
      fs.writeFileSync(f(`${id}.csr`), csr);
      fs.writeFileSync(f(`${id}.ext`), ca
        ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n'
        : 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
      execFileSync('openssl', ['x509', '-req', '-in', f(`${id}.csr`), '-CA', f('root.pem'), '-CAkey', f('root.key'),
        '-set_serial', String(1000 + id), '-days', '365', '-extfile', f(`${id}.ext`), '-out', f(`${id}.pem`)], { stdio: 'pipe' });
      return fs.readFileSync(f(`${id}.pem`), 'utf8').trim();
    },
  };
}
