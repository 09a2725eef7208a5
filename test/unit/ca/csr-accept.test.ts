/** CSRs the CA signs for: every allowed key, from the generators seen in the field (design/judges.md). */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { checkCsr } from '../../../src/ca/csr';
import { KeySpec, certtoolCsr, derOf, opensslCsr, peculiarCsr, scratch } from '../../helpers/csr-factory';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '../../fixtures/ca', name), 'utf8');

describe('checkCsr accepts', () => {
  before(() => scratch());

  describe('the keys the contract allows, from the generators seen in the field', () => {
    const allowed: [KeySpec, string][] = [
      ['RSA-2048', 'RSA-2048'], ['RSA-3072', 'RSA-3072'], ['RSA-4096', 'RSA-4096'],
      ['P-256', 'P-256'], ['P-384', 'P-384'], ['P-521', 'P-521'], ['Ed25519', 'Ed25519'],
    ];
    for (const [spec, description] of allowed) {
      it(`openssl req ${spec}`, () => {
        const { csr } = opensslCsr(spec);
        const checked = checkCsr(csr);
        assert.equal(checked.keyDescription, description);
        const der = derOf(csr);
        assert.deepEqual(checked.der, der);
        assert.equal(checked.subjectText, 'O=hsmca tests, CN=Test Intermediate CA');
        // Byte for byte, cross-checked against asn1-csr's own view of the same CSR.
        const parsed = AsnConvert.parse(der, CertificationRequest);
        assert.deepEqual(checked.subjectDer, Buffer.from(AsnConvert.serialize(parsed.certificationRequestInfo.subject)));
        assert.deepEqual(checked.spkiDer, Buffer.from(AsnConvert.serialize(parsed.certificationRequestInfo.subjectPKInfo)));
      });
    }

    it('RSA-8192, the upper bound (fixture)', () => {
      assert.equal(checkCsr(fixture('rsa-8192.csr')).keyDescription, 'RSA-8192');
    });

    it('ECDSA with a longer hash than the curve (P-256 with SHA-512)', () => {
      assert.equal(checkCsr(opensslCsr('P-256', { digest: '-sha512' }).csr).keyDescription, 'P-256');
    });

    for (const digest of ['-sha256', '-sha384', '-sha512']) {
      for (const salt of ['digest', 'max', '0']) {
        it(`RSASSA-PSS signatures (${digest}, salt ${salt})`, () => {
          const args = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${salt}`];
          assert.equal(checkCsr(opensslCsr('RSA-2048', { digest, args }).csr).keyDescription, 'RSA-2048');
        });
      }
    }

    it('GnuTLS certtool: NEW CERTIFICATE REQUEST with text before the block', () => {
      const { csr } = certtoolCsr();
      assert.ok(csr.indexOf('-----BEGIN NEW CERTIFICATE REQUEST-----') > 0);
      assert.equal(checkCsr(csr).subjectText, 'O=hsmca tests, CN=certtool intermediate');
    });

    for (const alg of ['ECDSA-P256', 'RSA-2048', 'RSA-PSS-2048', 'Ed25519'] as const) {
      it(`@peculiar/x509 Pkcs10CertificateRequestGenerator ${alg}`, async () => {
        assert.match(checkCsr(await peculiarCsr(alg)).subjectText, new RegExp(`CN=peculiar ${alg}`));
      });
    }

    it('extension requests and challengePassword are accepted (and ignored)', () => {
      const config = path.join(scratch(), 'challenge.cnf');
      fs.writeFileSync(config, '[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nCN=challenge\n[attrs]\nchallengePassword=hunter22\n');
      const { csr } = opensslCsr('P-256', {
        args: ['-config', config, '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:9', '-addext', 'keyUsage=critical,keyEncipherment',
          '-addext', 'subjectAltName=DNS:evil.example'],
      });
      assert.equal(checkCsr(csr).keyDescription, 'P-256');
    });

    it('UTF-8 and multi-valued RDNs, kept byte for byte', () => {
      const { csr } = opensslCsr('P-256', { subject: '/C=CH/O=Zürich Ω Ltd/CN=Ärger CA+OU=Straße', args: ['-utf8', '-multivalue-rdn'] });
      const checked = checkCsr(csr);
      // OpenSSL sorts the SET OF by encoding (DER X.690 11.6): OU's encoding is shorter.
      assert.equal(checked.subjectText, 'C=CH, O=Zürich Ω Ltd, OU=Straße+CN=Ärger CA');
      assert.ok(derOf(csr).includes(checked.subjectDer));
    });

    it('64 characters of commonName, counted as characters not bytes', () => {
      const { csr } = opensslCsr('P-256', { subject: `/CN=${'é'.repeat(64)}`, args: ['-utf8'] });
      assert.equal(checkCsr(csr).keyDescription, 'P-256');
    });
  });
});
