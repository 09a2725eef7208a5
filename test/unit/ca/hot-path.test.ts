/**
 * Timings of the request path's certificate logic (no HSM): what one sign-intermediate costs on
 * top of the signature. Printed for the record; the bounds are loose enough for a busy CI box.
 */
import { strict as assert } from 'node:assert';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { assembleCertificate, splitCertificate, verifyCertificate } from '../../../src/ca/certificate';
import { checkCsr } from '../../../src/ca/csr';
import { loadIssuer } from '../../../src/ca/issuer';
import { buildName } from '../../../src/ca/name';
import { toPem } from '../../../src/ca/pem';
import { buildIntermediateTbs, buildRootTbs } from '../../../src/ca/profile';
import { randomSerial } from '../../../src/ca/serial';
import { algorithmIdentifierDer } from '../../../src/ca/signature-algorithm';
import { derOf, opensslCsr } from '../../helpers/csr-factory';
import { signAs, softwareSigner } from '../../helpers/software-signer';
import { signCertificate } from '../../../src/ca/certificate';

/** Mean microseconds per call over `n` calls, after a warm-up. */
function micros(n: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(200, n); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n / 1000;
}

describe('hot path timings', () => {
  it('CSR checks, TBS build, assembly and verification stay in the tens of microseconds', async () => {
    const signer = softwareSigner('P-256');
    const sigAlgDer = algorithmIdentifierDer(signer.signatureAlgorithm);
    const now = new Date();
    const rootTbs = buildRootTbs({ subjectDer: buildName({ commonName: 'Timing Root' }).subjectDer, spkiDer: signer.spki, serial: randomSerial(), notBefore: now, notAfter: new Date(now.getTime() + 86400e3), sigAlgDer });
    const issuer = loadIssuer(await signCertificate(rootTbs, sigAlgDer, signer), signer);
    const p256 = opensslCsr('P-256').csr;
    const rsa = opensslCsr('RSA-2048').csr;
    const ed = opensslCsr('Ed25519').csr;
    const csr = checkCsr(p256);
    const build = () => buildIntermediateTbs({ issuer, serial: randomSerial(), subjectDer: csr.subjectDer, spkiDer: csr.spkiDer, notBefore: now, notAfter: new Date(now.getTime() + 3600e3), pathLen: 0, caIssuersUrl: 'http://ca.example.test/ca.der' });
    const tbs = build();
    const cert = assembleCertificate(tbs, issuer.sigAlgDer, signAs('ecdsa-with-SHA256', signer.privateKey, tbs));
    const { signature } = splitCertificate(cert);

    const t = {
      'checkCsr P-256': micros(2000, () => checkCsr(p256)),
      'checkCsr RSA-2048': micros(2000, () => checkCsr(rsa)),
      'checkCsr Ed25519': micros(2000, () => checkCsr(ed)),
      'buildIntermediateTbs': micros(5000, build),
      'randomSerial': micros(5000, () => randomSerial()),
      'assembleCertificate': micros(5000, () => assembleCertificate(tbs, issuer.sigAlgDer, signature)),
      'verifyCertificate P-256': micros(2000, () => verifyCertificate(cert, issuer.publicKey)),
      'toPem': micros(5000, () => toPem(cert, 'CERTIFICATE')),
      '(reference) AsnConvert.parse CSR': micros(500, () => AsnConvert.parse(derOf(p256), CertificationRequest)),
    };
    console.log(Object.entries(t).map(([k, v]) => `      ${k.padEnd(36)} ${v.toFixed(1).padStart(7)} µs`).join('\n'));
    assert.ok(t['checkCsr P-256'] < 1000);
    assert.ok(t.buildIntermediateTbs < 300);
    assert.ok(t.assembleCertificate < 100);
  });
});
