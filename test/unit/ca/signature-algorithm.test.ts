import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../../../src/keystore/keystore';
import { DerError, parseDer } from '../../../src/der';
import { algorithmIdentifierDer, hashOf, readSignatureAlgorithm, verifySignature, verifySpecOf } from '../../../src/ca/signature-algorithm';
import { SoftwareKeyType, softwareSigner } from '../../helpers/software-signer';

/** CA/Browser Forum Baseline Requirements 7.1.3.2.1 / 7.1.3.2.2: the exact encodings. */
const BR_ENCODINGS: Record<SignatureAlgorithm, string> = {
  sha256WithRSAEncryption: '300d06092a864886f70d01010b0500',
  sha384WithRSAEncryption: '300d06092a864886f70d01010c0500',
  sha512WithRSAEncryption: '300d06092a864886f70d01010d0500',
  'rsassaPss-sha256': '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
  'rsassaPss-sha384': '304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130',
  'rsassaPss-sha512': '304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140',
  'ecdsa-with-SHA256': '300a06082a8648ce3d040302',
  'ecdsa-with-SHA384': '300a06082a8648ce3d040303',
  'ecdsa-with-SHA512': '300a06082a8648ce3d040304',
  Ed25519: '300506032b6570',
};

const KEY_FOR: Record<SignatureAlgorithm, SoftwareKeyType> = {
  sha256WithRSAEncryption: 'RSA-2048', sha384WithRSAEncryption: 'RSA-2048', sha512WithRSAEncryption: 'RSA-2048',
  'rsassaPss-sha256': 'RSA-2048', 'rsassaPss-sha384': 'RSA-2048', 'rsassaPss-sha512': 'RSA-2048',
  'ecdsa-with-SHA256': 'P-256', 'ecdsa-with-SHA384': 'P-384', 'ecdsa-with-SHA512': 'P-521', Ed25519: 'Ed25519',
};

const read = (hex: string) => readSignatureAlgorithm(parseDer(Buffer.from(hex, 'hex')));

describe('signature algorithms', () => {
  for (const alg of SIGNATURE_ALGORITHMS) {
    it(`${alg}: BR-exact AlgorithmIdentifier, read back, signatures verify`, async () => {
      assert.equal(algorithmIdentifierDer(alg).toString('hex'), BR_ENCODINGS[alg]);
      const spec = verifySpecOf(alg);
      assert.equal(spec.hash, hashOf(alg));
      const signer = softwareSigner(KEY_FOR[alg], alg);
      const data = crypto.randomBytes(300);
      const key = crypto.createPublicKey({ key: signer.spki, format: 'der', type: 'spki' });
      const signature = await signer.sign(data);
      assert.ok(verifySignature(spec, key, data, signature));
      assert.ok(!verifySignature(spec, key, Buffer.concat([data, Buffer.from([0])]), signature));
    });
  }

  it('names MD5 and SHA-1 algorithms as weak', () => {
    assert.deepEqual(read('300d06092a864886f70d0101050500'), { kind: 'weak', name: 'sha1WithRSAEncryption' });
    assert.deepEqual(read('300d06092a864886f70d0101040500'), { kind: 'weak', name: 'md5WithRSAEncryption' });
    assert.deepEqual(read('300906072a8648ce3d0401'), { kind: 'weak', name: 'ecdsa-with-SHA1' });
    // RSASSA-PSS with all-default parameters is SHA-1.
    assert.deepEqual(read('300d06092a864886f70d01010a3000'), { kind: 'weak', name: 'RSASSA-PSS with SHA-1' });
  });

  it('accepts absent parameters for PKCS#1 v1.5 (RFC 4055 section 5)', () => {
    assert.deepEqual(read('300b06092a864886f70d01010b'), { kind: 'ok', spec: { name: 'sha256WithRSAEncryption', family: 'rsa', hash: 'sha256' } });
  });

  it('reports unknown algorithms and malformed parameters', () => {
    assert.deepEqual(read('300d06092a864886f70d01010e0500'), { kind: 'unsupported', oid: '1.2.840.113549.1.1.14' });
    assert.throws(() => read('300c06082a8648ce3d0403020500'), DerError); // ECDSA with NULL
    assert.throws(() => read('300b06092a864886f70d01010a'), DerError); // PSS without parameters
    assert.throws(() => read('300d06092a864886f70d01010a0500'), DerError); // PSS with NULL parameters
    // trailerField 2
    assert.throws(() => read('301706092a864886f70d01010a300aa203020120a303020102'), /trailerField/);
    // fields out of order: saltLength before hashAlgorithm
    assert.throws(() => read('302306092a864886f70d01010a3016a203020120a00f300d06096086480165030402010500'), /out of order/);
  });
});
