/** CSRs the CA refuses: every row 10–13 message, and the order between the rows. */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkCsr } from '../../../src/ca/csr';
import { TAG, encodeBitString, encodeOid, encodeSequence, encodeTlv } from '../../../src/der';
import { toPem } from '../../../src/ca/pem';
import { algorithmIdentifierDer } from '../../../src/ca/signature-algorithm';
import {
  KeySpec, corruptSignature, craftCsr, derOf, keyFile, nameDer, opensslCsr, scratch,
} from '../../helpers/csr-factory';
import { badRequestMessage } from '../../helpers/bad-request';

const FIXTURES = path.join(__dirname, '../../fixtures/ca');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** The 400 `checkCsr` throws for `pem`, as its message. */
const refusal = (pem: string): string => badRequestMessage(() => checkCsr(pem));

const rsaKey = (): crypto.KeyObject => crypto.createPrivateKey(fs.readFileSync(keyFile('RSA-2048')));
const sha256Rsa = algorithmIdentifierDer('sha256WithRSAEncryption');
const signRsa = (info: Buffer, key: crypto.KeyObject): Buffer => crypto.sign('sha256', info, key);
const withDer = (der: Buffer): string => toPem(der, 'CERTIFICATE REQUEST');

describe('checkCsr refuses (contract rows 10–13, in order)', () => {
  before(() => scratch());

  describe('row 10: one parseable PKCS#10 PEM block', () => {
    let good: string;
    before(() => {
      good = opensslCsr('P-256').csr;
    });

    it('accepts CRLF, surrounding text and a missing final newline', () => {
      const expected = checkCsr(good).subjectDer;
      for (const variant of [good.replace(/\n/g, '\r\n'), `Here is my CSR:\n${good}\nthanks`, good.trimEnd(), `   \n${good}`]) {
        assert.deepEqual(checkCsr(variant).subjectDer, expected);
      }
    });

    const cases: [string, (pem: string) => string, string | RegExp][] = [
      ['a CERTIFICATE label', (p) => p.replace(/CERTIFICATE REQUEST/g, 'CERTIFICATE'), 'Invalid CSR: PEM label is "CERTIFICATE", expected "CERTIFICATE REQUEST"'],
      ['two blocks', (p) => `${p}\n${p}`, 'Invalid CSR: expected one PEM block, found 2'],
      ['no block at all', () => 'MIIB...', 'Invalid CSR: no PEM block found'],
      ['an empty string', () => '', 'Invalid CSR: no PEM block found'],
      ['a missing END line', (p) => p.replace(/-----END[^\n]*/, ''), 'Invalid CSR: no "-----END CERTIFICATE REQUEST-----" line'],
      ['base64 garbage', (p) => p.replace(/\n(.)/, '\n!$1'), 'Invalid CSR: PEM body is not valid base64'],
      ['bad padding', (p) => p.replace(/\n-----END/, '=\n-----END'), 'Invalid CSR: PEM body is not valid base64'],
      ['trailing bytes after the DER', (p) => withDer(Buffer.concat([derOf(p), Buffer.from([0, 0])])), 'Invalid CSR: trailing bytes after the CSR DER'],
      ['base64 that is not DER', () => withDer(Buffer.from('hello world')), /^Invalid CSR: /],
      ['a truncated DER', (p) => withDer(derOf(p).subarray(0, 100)), 'Invalid CSR: length runs past the end of the data'],
      ['BER indefinite length', (p) => {
        const der = derOf(p); // 30 81 xx …: rewrite as 30 80 … 00 00
        return withDer(Buffer.concat([Buffer.from([0x30, 0x80]), der.subarray(3), Buffer.from([0, 0])]));
      }, 'Invalid CSR: indefinite length is not DER'],
    ];
    for (const [what, mangle, expected] of cases) {
      it(`refuses ${what}`, () => {
        const message = refusal(mangle(good));
        if (typeof expected === 'string') assert.equal(message, expected);
        else assert.match(message, expected);
      });
    }

    it('refuses a certificate under a CSR label', () => {
      const dir = scratch();
      const cert = path.join(dir, 'self.pem');
      fs.writeFileSync(path.join(dir, 'k.pem'), fs.readFileSync(keyFile('P-256')));
      require('node:child_process').execFileSync('openssl', ['req', '-x509', '-key', keyFile('P-256'), '-subj', '/CN=x', '-days', '1', '-out', cert], { stdio: 'pipe' });
      assert.match(refusal(fs.readFileSync(cert, 'utf8').replace(/CERTIFICATE/g, 'CERTIFICATE REQUEST')), /^Invalid CSR: /);
    });

    it('refuses a version other than v1', () => {
      const { pem } = craftCsr({ subjectDer: nameDer(['2.5.4.3', 'v2']), key: rsaKey(), sigAlgDer: sha256Rsa, sign: signRsa, version: 1 });
      assert.equal(refusal(pem), 'Invalid CSR: version must be 0 (v1)');
    });

    it('refuses an RDN with no attributes', () => {
      const subjectDer = encodeSequence(encodeTlv(TAG.SET));
      const { pem } = craftCsr({ subjectDer, key: rsaKey(), sigAlgDer: sha256Rsa, sign: signRsa });
      assert.equal(refusal(pem), 'Invalid CSR: empty RelativeDistinguishedName');
    });

    it('comes before the signature check (trailing bytes on a SHA-1 CSR)', () => {
      const sha1 = opensslCsr('RSA-2048', { digest: '-sha1' }).csr;
      assert.equal(refusal(withDer(Buffer.concat([derOf(sha1), Buffer.from([0])]))), 'Invalid CSR: trailing bytes after the CSR DER');
    });
  });

  describe('row 11: the signature verifies, and is neither MD5 nor SHA-1', () => {
    it('refuses SHA-1 (RSA, ECDSA) and MD5', () => {
      assert.equal(refusal(opensslCsr('RSA-2048', { digest: '-sha1' }).csr),
        'Invalid CSR: signature algorithm sha1WithRSAEncryption is not allowed (MD5 and SHA-1 are broken)');
      assert.equal(refusal(opensslCsr('P-256', { digest: '-sha1' }).csr),
        'Invalid CSR: signature algorithm ecdsa-with-SHA1 is not allowed (MD5 and SHA-1 are broken)');
      assert.equal(refusal(opensslCsr('RSA-2048', { digest: '-md5' }).csr),
        'Invalid CSR: signature algorithm md5WithRSAEncryption is not allowed (MD5 and SHA-1 are broken)');
    });

    it('refuses RSASSA-PSS with SHA-1 as hash or as MGF1 hash', () => {
      const pss = ['-sigopt', 'rsa_padding_mode:pss'];
      for (const csr of [
        opensslCsr('RSA-2048', { digest: '-sha1', args: pss }).csr,
        opensslCsr('RSA-2048', { digest: '-sha256', args: [...pss, '-sigopt', 'rsa_mgf1_md:sha1'] }).csr,
      ]) {
        assert.equal(refusal(csr), 'Invalid CSR: signature algorithm RSASSA-PSS with SHA-1 is not allowed (MD5 and SHA-1 are broken)');
      }
    });

    it('refuses RSASSA-PSS whose MGF1 hash differs from the message hash', () => {
      const args = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_mgf1_md:sha384'];
      assert.equal(refusal(opensslCsr('RSA-2048', { digest: '-sha256', args }).csr),
        'Invalid CSR: signature algorithm 1.2.840.113549.1.1.10 is not supported (MGF1 with sha384 and message hash sha256)');
    });

    it('refuses an unknown algorithm (sha224WithRSAEncryption)', () => {
      assert.equal(refusal(opensslCsr('RSA-2048', { digest: '-sha224' }).csr),
        'Invalid CSR: signature algorithm 1.2.840.113549.1.1.14 is not supported');
    });

    for (const spec of ['RSA-2048', 'P-256', 'P-521', 'Ed25519'] as const) {
      it(`refuses a corrupted ${spec} signature`, () => {
        assert.equal(refusal(corruptSignature(opensslCsr(spec).csr)), 'Invalid CSR: signature does not verify');
      });
    }

    it('refuses a CSR labelled RSASSA-PSS but signed with PKCS#1 v1.5 (Go 1.19–1.21)', () => {
      const { pem } = craftCsr({ subjectDer: nameDer(['2.5.4.3', 'go']), key: rsaKey(), sigAlgDer: algorithmIdentifierDer('rsassaPss-sha256'), sign: signRsa });
      assert.equal(refusal(pem), 'Invalid CSR: signature does not verify');
      // …and the same bytes labelled honestly pass: only the label is wrong.
      const honest = craftCsr({ subjectDer: nameDer(['2.5.4.3', 'go']), key: rsaKey(), sigAlgDer: sha256Rsa, sign: signRsa });
      assert.equal(checkCsr(honest.pem).keyDescription, 'RSA-2048');
    });

    it('refuses a signature algorithm of another key family', () => {
      const { pem } = craftCsr({ subjectDer: nameDer(['2.5.4.3', 'x']), key: rsaKey(), sigAlgDer: algorithmIdentifierDer('ecdsa-with-SHA256'), sign: signRsa });
      assert.equal(refusal(pem), 'Invalid CSR: signature algorithm ecdsa-with-SHA256 does not match the RSA-2048 key');
    });

    it('refuses ECDSA algorithm identifiers with parameters', () => {
      const ec = crypto.createPrivateKey(fs.readFileSync(keyFile('P-256')));
      const sigAlgDer = encodeSequence(encodeOid('1.2.840.10045.4.3.2'), Buffer.from([TAG.NULL, 0]));
      const { pem } = craftCsr({ subjectDer: nameDer(['2.5.4.3', 'x']), key: ec, sigAlgDer, sign: (i, k) => crypto.sign('sha256', i, k) });
      assert.equal(refusal(pem), 'Invalid CSR: signature algorithm: ecdsa-with-SHA256 with unexpected parameters');
    });

    it('comes before the key check (SHA-1 on RSA-1024; bad signature on RSA-1024)', () => {
      assert.match(refusal(opensslCsr('RSA-1024', { digest: '-sha1' }).csr), /^Invalid CSR: signature algorithm sha1WithRSAEncryption is not allowed/);
      assert.equal(refusal(corruptSignature(opensslCsr('RSA-1024').csr)), 'Invalid CSR: signature does not verify');
      assert.match(refusal(opensslCsr('DSA', { digest: '-sha1' }).csr), /^Invalid CSR: signature algorithm dsa-with-sha1 is not allowed/);
    });
  });

  describe('row 12: the key is one the CA certifies', () => {
    const refused: [KeySpec | string, string][] = [
      ['RSA-1024', 'Unsupported CSR key: RSA-1024 (RSA keys must have 2048 to 8192 bits)'],
      ['RSA-2048-e3', 'Unsupported CSR key: RSA public exponent 3 (must be at least 65537)'],
      ['DSA', 'Unsupported CSR key: DSA'],
      ['Ed448', 'Unsupported CSR key: Ed448'],
      ['secp256k1', 'Unsupported CSR key: EC curve secp256k1 (1.3.132.0.10); allowed curves are P-256, P-384 and P-521'],
      ['brainpoolP256r1', 'Unsupported CSR key: EC curve brainpoolP256r1 (1.3.36.3.3.2.8.1.1.7); allowed curves are P-256, P-384 and P-521'],
      ['P-256-explicit', 'Unsupported CSR key: EC key with explicit curve parameters (only named curves P-256, P-384 and P-521 are allowed)'],
      ['RSA-PSS-key', 'Unsupported CSR key: RSASSA-PSS (id-RSASSA-PSS) public keys are not accepted; use an rsaEncryption key'],
    ];
    for (const [spec, message] of refused) {
      it(`refuses ${spec}`, () => assert.equal(refusal(opensslCsr(spec as KeySpec).csr), message));
    }

    it('refuses RSA-8200 (fixture)', () => {
      assert.equal(refusal(fixture('rsa-8200.csr')), 'Unsupported CSR key: RSA-8200 (RSA keys must have 2048 to 8192 bits)');
    });

    it('refuses an RSA modulus OpenSSL cannot verify with (16400 bits) before the signature check', () => {
      const modulus = crypto.randomBytes(2050);
      modulus[0] |= 0x80;
      modulus[modulus.length - 1] |= 1;
      const rsaPublicKey = encodeSequence(encodeTlv(TAG.INTEGER, Buffer.concat([Buffer.from([0]), modulus])), encodeTlv(TAG.INTEGER, Buffer.from([1, 0, 1])));
      const spkiDer = encodeSequence(encodeSequence(encodeOid('1.2.840.113549.1.1.1'), Buffer.from([TAG.NULL, 0])), encodeBitString(rsaPublicKey));
      const { pem } = craftCsr({ subjectDer: nameDer(['2.5.4.3', 'huge']), key: rsaKey(), spkiDer, sigAlgDer: sha256Rsa, sign: () => crypto.randomBytes(2050) });
      assert.equal(refusal(pem), 'Unsupported CSR key: RSA-16400 (RSA keys must have 2048 to 8192 bits)');
    });

    it('refuses key-agreement keys (X25519) without trying to verify', () => {
      const x25519 = crypto.generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' });
      const { pem } = craftCsr({ subjectDer: nameDer(['2.5.4.3', 'x']), key: rsaKey(), spkiDer: x25519, sigAlgDer: algorithmIdentifierDer('Ed25519'), sign: () => Buffer.alloc(64) });
      assert.equal(refusal(pem), 'Unsupported CSR key: X25519 is a key-agreement key');
    });

    it('refuses a key of a refused type before verifying its signature (documented order)', () => {
      assert.equal(refusal(corruptSignature(opensslCsr('DSA').csr)), 'Unsupported CSR key: DSA');
      assert.equal(refusal(corruptSignature(opensslCsr('Ed448').csr)), 'Unsupported CSR key: Ed448');
    });

    it('refuses an EC point that is not on the curve as an invalid CSR', () => {
      const spki = Buffer.from(crypto.createPublicKey(fs.readFileSync(keyFile('P-256'))).export({ format: 'der', type: 'spki' }));
      spki[spki.length - 1] ^= 0x01;
      const { pem } = craftCsr({ subjectDer: nameDer(['2.5.4.3', 'x']), key: rsaKey(), spkiDer: spki, sigAlgDer: algorithmIdentifierDer('ecdsa-with-SHA256'), sign: () => Buffer.alloc(8) });
      assert.equal(refusal(pem), 'Invalid CSR: the P-256 public key cannot be decoded');
    });

    it('refuses a compressed EC point (Go and others cannot parse it), malformed points as invalid', () => {
      const key = crypto.createPrivateKey(fs.readFileSync(keyFile('P-256')));
      const jwk = crypto.createPublicKey(key).export({ format: 'jwk' });
      const prefix = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
      const yOdd = Buffer.from(jwk.y!, 'base64url')[31] & 1;
      const compressed = Buffer.concat([prefix, Buffer.from([yOdd ? 3 : 2]), Buffer.from(jwk.x!, 'base64url')]);
      const sign = (i: Buffer, k: crypto.KeyObject): Buffer => crypto.sign('sha256', i, k);
      const csr = (spkiDer: Buffer): string => craftCsr({ subjectDer: nameDer(['2.5.4.3', 'x']), key, spkiDer, sigAlgDer: algorithmIdentifierDer('ecdsa-with-SHA256'), sign }).pem;
      assert.equal(refusal(csr(compressed)), 'Unsupported CSR key: P-256 key with a compressed point (only the uncompressed form is accepted)');
      const hybrid = Buffer.from(compressed);
      hybrid[prefix.length] = 0x05;
      assert.equal(refusal(csr(hybrid)), 'Invalid CSR: the P-256 public key cannot be decoded');
    });

    it('refuses malformed RSA keys as invalid CSRs', () => {
      const rsaPublicKey = (n: string): Buffer => encodeSequence(encodeTlv(TAG.INTEGER, Buffer.from(n, 'hex')), encodeTlv(TAG.INTEGER, Buffer.from('010001', 'hex')));
      const spki = (params: Buffer[], key: Buffer): Buffer => encodeSequence(encodeSequence(encodeOid('1.2.840.113549.1.1.1'), ...params), encodeBitString(key));
      const csr = (spkiDer: Buffer): string => craftCsr({ subjectDer: nameDer(['2.5.4.3', 'x']), key: rsaKey(), spkiDer, sigAlgDer: sha256Rsa, sign: signRsa }).pem;
      const good = Buffer.from(crypto.randomBytes(256));
      good[0] |= 0x80;
      assert.equal(refusal(csr(spki([], rsaPublicKey(`00${good.toString('hex')}`)))), 'Invalid CSR: RSA key parameters must be NULL');
      assert.equal(refusal(csr(spki([Buffer.from([TAG.NULL, 0])], rsaPublicKey(good.toString('hex'))))), 'Invalid CSR: RSA modulus must be positive');
      assert.equal(refusal(csr(spki([Buffer.from([TAG.NULL, 0])], rsaPublicKey(`0000${good.toString('hex')}`)))), 'Invalid CSR: RSA modulus is not minimally encoded');
    });

    it('comes before the subject check (RSA-1024 with an empty subject)', () => {
      assert.match(refusal(opensslCsr('RSA-1024', { subject: '/' }).csr), /^Unsupported CSR key: RSA-1024/);
    });
  });

  describe('row 13: the subject', () => {
    it('refuses an empty subject', () => {
      assert.equal(refusal(opensslCsr('P-256', { subject: '/' }).csr), 'CSR subject is empty');
    });

    it('refuses a commonName over 64 characters (100 ASCII, 65 non-ASCII)', () => {
      const message = 'CSR commonName exceeds 64 characters (RFC 5280 ub-common-name)';
      // OpenSSL refuses to write these; a hand-made CSR is what a careless generator sends.
      const csr = (cn: string): string =>
        craftCsr({ subjectDer: nameDer(['2.5.4.10', 'x'], ['2.5.4.3', cn]), key: rsaKey(), sigAlgDer: sha256Rsa, sign: signRsa }).pem;
      assert.equal(refusal(csr('a'.repeat(100))), message);
      assert.equal(refusal(csr('é'.repeat(65))), message);
      assert.equal(checkCsr(csr('a'.repeat(64))).keyDescription, 'RSA-2048');
    });

    it('counts BMPString commonNames in characters', () => {
      const bmp = (s: string): Buffer => Buffer.from(s, 'utf16le').swap16();
      const subject = (n: number): Buffer => encodeSequence(encodeTlv(TAG.SET, encodeSequence(encodeOid('2.5.4.3'), encodeTlv(TAG.BMP_STRING, bmp('ß'.repeat(n))))));
      const csr = (n: number): string => craftCsr({ subjectDer: subject(n), key: rsaKey(), sigAlgDer: sha256Rsa, sign: signRsa }).pem;
      assert.equal(checkCsr(csr(64)).subjectText, `CN=${'ß'.repeat(64)}`);
      assert.match(refusal(csr(65)), /^CSR commonName exceeds 64 characters/);
    });

    it('comes after the signature check (bad signature, empty subject)', () => {
      assert.equal(refusal(corruptSignature(opensslCsr('P-256', { subject: '/' }).csr)), 'Invalid CSR: signature does not verify');
    });
  });
});
