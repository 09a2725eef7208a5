import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError } from '../../../src/errors';
import type { SignatureAlgorithm } from '../../../src/keystore/keystore';
import { assembleCertificate, signCertificate, splitCertificate, verifyCertificate } from '../../../src/ca/certificate';
import { parseCertificateInfo } from '../../../src/ca/certificate-info';
import { checkCsr } from '../../../src/ca/csr';
import { DerError } from '../../../src/der';
import { keyIdentifierOf } from '../../../src/ca/extensions';
import { loadIssuer } from '../../../src/ca/issuer';
import { buildName } from '../../../src/ca/name';
import { pemToDer, toPem } from '../../../src/ca/pem';
import { buildIntermediateTbs, buildRootTbs } from '../../../src/ca/profile';
import { randomSerial } from '../../../src/ca/serial';
import { algorithmIdentifierDer } from '../../../src/ca/signature-algorithm';
import { keyFile, opensslCsr, scratch } from '../../helpers/csr-factory';
import { SoftwareKeyType, SoftwareSigner, softwareSigner } from '../../helpers/software-signer';

const NOT_BEFORE = new Date(Date.now() - 3600e3);
const NOT_AFTER = new Date(Date.now() + 30 * 86400e3);

async function root(signer: SoftwareSigner, pathLen?: number): Promise<Buffer> {
  const { subjectDer } = buildName({ commonName: `Root ${signer.signatureAlgorithm}`, organization: 'hsmca tests' });
  const sigAlgDer = algorithmIdentifierDer(signer.signatureAlgorithm);
  const tbs = buildRootTbs({ subjectDer, spkiDer: signer.spki, serial: randomSerial(), notBefore: NOT_BEFORE, notAfter: NOT_AFTER, pathLen, sigAlgDer });
  return signCertificate(tbs, sigAlgDer, signer);
}

const opensslVerify = (rootDer: Buffer, certDer: Buffer): string => {
  const dir = scratch();
  const rootFile = path.join(dir, `root-${crypto.randomUUID()}.pem`);
  fs.writeFileSync(rootFile, toPem(rootDer, 'CERTIFICATE'));
  return execFileSync('openssl', ['verify', '-x509_strict', '-CAfile', rootFile], { input: toPem(certDer, 'CERTIFICATE') }).toString();
};

describe('certificates', () => {
  const issuers: [SoftwareKeyType, SignatureAlgorithm][] = [
    ['RSA-2048', 'sha256WithRSAEncryption'], ['RSA-2048', 'sha512WithRSAEncryption'], ['RSA-2048', 'rsassaPss-sha256'],
    ['RSA-3072', 'rsassaPss-sha384'], ['P-256', 'ecdsa-with-SHA256'], ['P-384', 'ecdsa-with-SHA384'],
    ['P-521', 'ecdsa-with-SHA512'], ['Ed25519', 'Ed25519'],
  ];
  for (const [type, alg] of issuers) {
    it(`${type} issuer with ${alg}: signs, verifies, and openssl -x509_strict agrees`, async () => {
      const signer = softwareSigner(type, alg);
      const rootDer = await root(signer, 2);
      assert.equal(opensslVerify(rootDer, rootDer).trim(), 'stdin: OK');
      const issuer = loadIssuer(rootDer, signer);
      assert.equal(issuer.pathLen, 2);
      assert.ok(issuer.isCa);
      const csr = checkCsr(opensslCsr('P-256').csr);
      const tbs = buildIntermediateTbs({ issuer, serial: randomSerial(), subjectDer: csr.subjectDer, spkiDer: csr.spkiDer, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, pathLen: 0 });
      const der = await signCertificate(tbs, issuer.sigAlgDer, signer);
      assert.ok(verifyCertificate(der, issuer.publicKey));
      assert.equal(opensslVerify(rootDer, der).trim(), 'stdin: OK');
      // Tampering with one TBS byte breaks it.
      const tampered = Buffer.from(der);
      tampered[splitCertificate(der).tbs.raw.length - 10] ^= 1;
      assert.equal(verifyCertificate(tampered, issuer.publicKey), false);
    });
  }

  it('P-521 signatures are DER ECDSA-Sig-Value with 66-byte integers', async () => {
    const signer = softwareSigner('P-521');
    const der = await root(signer);
    const sig = splitCertificate(der).signature;
    assert.equal(sig[0], 0x30);
    assert.ok(sig.length > 132 && sig.length <= 139, `signature length ${sig.length}`);
  });

  it('verifyCertificate is false for malformed input, an alg mismatch or another key', async () => {
    const signer = softwareSigner('P-256');
    const der = await root(signer);
    const { publicKey } = loadIssuer(der, signer);
    assert.equal(verifyCertificate(der.subarray(0, 50), publicKey), false);
    assert.equal(verifyCertificate(Buffer.concat([der, Buffer.from([0])]), publicKey), false);
    const { tbs, signature } = splitCertificate(der);
    assert.equal(verifyCertificate(assembleCertificate(tbs.raw, algorithmIdentifierDer('ecdsa-with-SHA384'), signature), publicKey), false);
    const other = crypto.createPublicKey(softwareSigner('P-256', undefined, { fresh: true }).privateKey);
    assert.equal(verifyCertificate(der, other), false);
  });

  it('signCertificate refuses a signature that does not verify (plain Error → 500)', async () => {
    const signer = softwareSigner('P-256');
    const rawRs: SoftwareSigner = { ...signer, sign: async (tbs) => {
      // Raw r‖s, as PKCS#11 returns it, never converted to DER.
      return crypto.sign('sha256', tbs, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
    } };
    const sigAlgDer = algorithmIdentifierDer('ecdsa-with-SHA256');
    const tbs = buildRootTbs({ subjectDer: buildName({ commonName: 'x' }).subjectDer, spkiDer: signer.spki, serial: randomSerial(), notBefore: NOT_BEFORE, notAfter: NOT_AFTER, sigAlgDer });
    await assert.rejects(signCertificate(tbs, sigAlgDer, rawRs), (err: unknown) => err instanceof Error && !(err instanceof AppError) && /does not verify/.test(err.message));
  });

  it('parseCertificateInfo reads an openssl certificate', () => {
    const dir = scratch();
    const cfg = path.join(dir, 'ca.cnf');
    fs.writeFileSync(cfg, '[req]\ndistinguished_name=dn\nx509_extensions=ext\n[dn]\n[ext]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\n');
    const pem = execFileSync('openssl', ['req', '-x509', '-key', keyFile('P-384'), '-subj', '/O=Acme/CN=Acme Root', '-days', '10', '-set_serial', '0x00ff01', '-config', cfg]).toString();
    const info = parseCertificateInfo(pemToDer(pem));
    assert.equal(info.serialHex, 'ff01');
    assert.equal(info.commonName, 'Acme Root');
    assert.equal(info.subjectText, 'O=Acme, CN=Acme Root');
    assert.deepEqual(info.subjectDer, info.issuerDer);
    assert.equal(info.isCa, true);
    assert.equal(info.pathLen, 0);
    assert.deepEqual(info.ski, keyIdentifierOf(info.spki));
    assert.equal(Math.round((info.notAfter.getTime() - info.notBefore.getTime()) / 86400e3), 10);
    assert.equal(info.sha256, crypto.createHash('sha256').update(pemToDer(pem)).digest('hex'));
  });

  it('parseCertificateInfo throws DerError for malformed certificates', () => {
    for (const hex of ['3000', '300a300302010030000300', '3003020100ff']) {
      assert.throws(() => parseCertificateInfo(Buffer.from(hex, 'hex')), DerError);
    }
  });

  describe('loadIssuer', () => {
    it('refuses a signer whose key is not the certificate key (plain Error: misconfiguration)', async () => {
      const der = await root(softwareSigner('P-256'));
      const other = softwareSigner('P-256', undefined, { fresh: true });
      assert.throws(() => loadIssuer(der, other), (err: unknown) => err instanceof Error && !(err instanceof AppError) && /does not match/.test(err.message));
    });

    it('refuses a signature algorithm that does not fit the key', async () => {
      const signer = softwareSigner('P-256');
      const der = await root(signer);
      assert.throws(() => loadIssuer(der, { ...signer, signatureAlgorithm: 'sha256WithRSAEncryption' }), /does not fit/);
    });

    it('accepts the same key in another SPKI encoding (compressed EC point)', async () => {
      const signer = softwareSigner('P-256');
      const der = await root(signer);
      const jwk = crypto.createPublicKey({ key: signer.spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
      const x = Buffer.from(jwk.x!, 'base64url');
      const yOdd = Buffer.from(jwk.y!, 'base64url')[31] & 1;
      const compressed = Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), Buffer.from([yOdd ? 3 : 2]), x]);
      assert.equal(loadIssuer(der, { ...signer, spki: compressed }).isCa, true);
    });

    it('falls back to the method-1 key identifier for a CA certificate without SKI', () => {
      const dir = scratch();
      const cfg = path.join(dir, 'noski.cnf');
      fs.writeFileSync(cfg, '[req]\ndistinguished_name=dn\nx509_extensions=ext\n[dn]\n[ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none\n');
      const pem = execFileSync('openssl', ['req', '-x509', '-key', keyFile('P-256'), '-subj', '/CN=Old Root', '-days', '10', '-config', cfg]).toString();
      const signer = softwareSigner('P-256', undefined, { privateKey: crypto.createPrivateKey(fs.readFileSync(keyFile('P-256'))) });
      const issuer = loadIssuer(pemToDer(pem), signer);
      assert.equal(parseCertificateInfo(pemToDer(pem)).ski, undefined);
      assert.deepEqual(issuer.ski, keyIdentifierOf(signer.spki));
      assert.equal(issuer.pathLen, undefined);
    });
  });
});
