/**
 * Chains issued by the TBS builder, judged by OpenSSL, GnuTLS and NSS (design/judges.md): root
 * (software key, test-only) → intermediate (our profile, for an openssl CSR) → leaf (openssl).
 */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import type { SignatureAlgorithm } from '../../../src/keystore/keystore';
import { signCertificate } from '../../../src/ca/certificate';
import { checkCsr } from '../../../src/ca/csr';
import { childPathLength } from '../../../src/ca/path-length';
import { childrenOf, contextTag, decodeOid, encodeSequence, encodeTlv, parseDer } from '../../../src/der';
import { authorityKeyIdentifier } from '../../../src/ca/extensions';
import { IssuerContext, loadIssuer } from '../../../src/ca/issuer';
import { buildName } from '../../../src/ca/name';
import { toPem } from '../../../src/ca/pem';
import { buildIntermediateTbs, buildRootTbs } from '../../../src/ca/profile';
import { randomSerial } from '../../../src/ca/serial';
import { algorithmIdentifierDer } from '../../../src/ca/signature-algorithm';
import { KeySpec, opensslCsr } from '../../helpers/csr-factory';
import { ChainVerdict, allAccept, describeVerdict, judgeChain, signLeafWithOpenssl } from '../../helpers/judges';
import { SoftwareKeyType, SoftwareSigner, softwareSigner } from '../../helpers/software-signer';

const NOT_BEFORE = new Date(Date.now() - 3600e3);
const NOT_AFTER = new Date(Date.now() + 30 * 86400e3);
const pem = (der: Buffer): string => toPem(der, 'CERTIFICATE');

async function makeRoot(signer: SoftwareSigner, pathLen?: number): Promise<{ der: Buffer; issuer: IssuerContext }> {
  const { subjectDer } = buildName({ commonName: `Judged Root ${signer.signatureAlgorithm}`, organization: 'hsmca tests', country: 'US' });
  const sigAlgDer = algorithmIdentifierDer(signer.signatureAlgorithm);
  const tbs = buildRootTbs({ subjectDer, spkiDer: signer.spki, serial: randomSerial(), notBefore: NOT_BEFORE, notAfter: NOT_AFTER, pathLen, sigAlgDer });
  const der = await signCertificate(tbs, sigAlgDer, signer);
  return { der, issuer: loadIssuer(der, signer) };
}

interface Issued { der: Buffer; keyPem: string }

/** An intermediate for a fresh openssl CSR; `mangle` edits the TBS before signing (broken variants). */
async function issue(issuer: IssuerContext, keySpec: KeySpec, pathLen: number | undefined, mangle = (tbs: Buffer) => tbs): Promise<Issued> {
  const { csr, keyPem } = opensslCsr(keySpec, { subject: `/O=hsmca tests/CN=Judged ${keySpec} CA ${crypto.randomUUID().slice(0, 8)}` });
  const checked = checkCsr(csr);
  const tbs = buildIntermediateTbs({ issuer, serial: randomSerial(), subjectDer: checked.subjectDer, spkiDer: checked.spkiDer, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, pathLen });
  return { der: await signCertificate(mangle(tbs), issuer.sigAlgDer, issuer.signer), keyPem };
}

/** The TBS with its extensions rewritten by `edit` (extensions are the last TBS element, [3]). */
function editExtensions(tbs: Buffer, edit: (exts: { oid: string; raw: Buffer }[]) => Buffer[]): Buffer {
  const fields = childrenOf(parseDer(tbs));
  const last = fields[fields.length - 1];
  const exts = childrenOf(childrenOf(last)[0]).map((e) => ({ oid: decodeOid(childrenOf(e)[0]), raw: e.raw }));
  return encodeSequence(...fields.slice(0, -1).map((f) => f.raw), encodeTlv(contextTag(3), encodeSequence(...edit(exts))));
}

const assertAccepted = (v: ChainVerdict): void => assert.ok(allAccept(v), describeVerdict(v));

describe('third-party judges', function () {
  this.timeout(120_000);

  const cases: [SoftwareKeyType, SignatureAlgorithm, KeySpec][] = [
    ['RSA-2048', 'sha256WithRSAEncryption', 'P-256'],
    ['RSA-2048', 'rsassaPss-sha256', 'RSA-2048'],
    ['P-256', 'ecdsa-with-SHA256', 'P-384'],
    ['P-384', 'ecdsa-with-SHA384', 'RSA-3072'],
    ['P-521', 'ecdsa-with-SHA512', 'P-521'],
    ['Ed25519', 'Ed25519', 'Ed25519'],
  ];
  for (const [rootType, alg, intKey] of cases) {
    it(`${alg} root → ${intKey} intermediate (pathLen 0) → leaf: all three judges accept`, async () => {
      const root = await makeRoot(softwareSigner(rootType, alg), 1);
      const int = await issue(root.issuer, intKey, 0);
      const leaf = signLeafWithOpenssl(pem(int.der), int.keyPem);
      const [caVerdict, leafVerdict] = await Promise.all([
        judgeChain({ root: pem(root.der), target: pem(int.der) }),
        judgeChain({ root: pem(root.der), intermediates: [pem(int.der)], target: leaf.certPem }),
      ]);
      assertAccepted(caVerdict);
      assertAccepted(leafVerdict);
      const ed25519 = rootType === 'Ed25519' || intKey === 'Ed25519';
      assert.equal(caVerdict.nss.knownLimitation !== undefined, ed25519 && !caVerdict.nss.ok);
      if (!ed25519) assert.ok(caVerdict.nss.ok && leafVerdict.nss.ok, describeVerdict(leafVerdict));
    });
  }

  it('two intermediates deep (root → int1 pathLen 1 → int2 inherits pathLen 0 → leaf)', async () => {
    const root = await makeRoot(softwareSigner('P-256'));
    const int1 = await issue(root.issuer, 'P-256', 1);
    const int1Signer = softwareSigner('P-256', undefined, { privateKey: crypto.createPrivateKey(int1.keyPem) });
    const int1Issuer = loadIssuer(int1.der, int1Signer);
    const int2 = await issue(int1Issuer, 'P-384', childPathLength(int1Issuer.pathLen, -1));
    const leaf = signLeafWithOpenssl(pem(int2.der), int2.keyPem);
    assertAccepted(await judgeChain({ root: pem(root.der), intermediates: [pem(int1.der)], target: pem(int2.der) }));
    assertAccepted(await judgeChain({ root: pem(root.der), intermediates: [pem(int2.der), pem(int1.der)], target: leaf.certPem }));
  });

  describe('deliberately broken intermediates are caught', () => {
    it('keyUsage missing: openssl -x509_strict rejects', async () => {
      const root = await makeRoot(softwareSigner('P-256'));
      const int = await issue(root.issuer, 'P-256', 0, (tbs) => editExtensions(tbs, (exts) => exts.filter((e) => e.oid !== '2.5.29.15').map((e) => e.raw)));
      const verdict = await judgeChain({ root: pem(root.der), target: pem(int.der) });
      assert.equal(verdict.openssl.ok, false, describeVerdict(verdict));
      assert.match(verdict.openssl.output, /key usage|keyUsage/i);
    });

    it('AKI not the issuer SKI: all three reject', async () => {
      const root = await makeRoot(softwareSigner('P-256'));
      const wrongAki = authorityKeyIdentifier(crypto.randomBytes(20));
      const int = await issue(root.issuer, 'P-256', 0, (tbs) => editExtensions(tbs, (exts) => exts.map((e) => (e.oid === '2.5.29.35' ? wrongAki : e.raw))));
      const verdict = await judgeChain({ root: pem(root.der), target: pem(int.der) });
      assert.ok(!verdict.openssl.ok && !verdict.gnutls.ok && !verdict.nss.ok, describeVerdict(verdict));
    });

    it('pathLen violated (an intermediate under a pathLen 0 root): all three reject once it signs a leaf', async () => {
      const root = await makeRoot(softwareSigner('P-256'), 0);
      // childPathLength would refuse this (row 15); the builder is used directly to make the bad certificate.
      const int = await issue(root.issuer, 'P-256', undefined);
      const leaf = signLeafWithOpenssl(pem(int.der), int.keyPem);
      const verdict = await judgeChain({ root: pem(root.der), intermediates: [pem(int.der)], target: leaf.certPem });
      assert.ok(!verdict.openssl.ok && !verdict.gnutls.ok && !verdict.nss.ok, describeVerdict(verdict));
    });
  });

  it('the purpose matters: a leaf judged as a CA is rejected by NSS', async () => {
    const root = await makeRoot(softwareSigner('P-256'));
    const int = await issue(root.issuer, 'P-256', 0);
    const leaf = signLeafWithOpenssl(pem(int.der), int.keyPem);
    const verdict = await judgeChain({ root: pem(root.der), intermediates: [pem(int.der)], target: leaf.certPem, purpose: 'ca' });
    assert.equal(verdict.nss.ok, false, describeVerdict(verdict));
  });
});
