import assert from 'node:assert/strict';
import { constants, createPublicKey, randomBytes, verify } from 'node:crypto';
import { AppError } from '../../../src/errors';
import {
  KEY_ALGORITHMS, openPkcs11KeyStore, parsePkcs11Uri,
  type GeneratedKey, type KeyAlgorithm, type KeyInspector, type KeyStore, type SignatureAlgorithm, type Signer,
} from '../../../src/keystore';
import { createSoftHsmToken } from '../../helpers/softhsm';

const isKind = (kind: string) => (err: unknown): boolean => err instanceof AppError && err.kind === kind;

/** Verifies with node:crypto, as X.509 verifiers would, from the SPKI alone. */
function verifyX509(signer: Pick<Signer, 'spki' | 'signatureAlgorithm'>, data: Buffer, signature: Buffer): boolean {
  const key = createPublicKey({ key: signer.spki, format: 'der', type: 'spki' });
  const alg = signer.signatureAlgorithm;
  if (alg === 'Ed25519') return verify(null, data, key, signature);
  const hash = /(256|384|512)/.exec(alg)![1]!;
  if (alg.startsWith('rsassaPss')) {
    return verify(`sha${hash}`, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(hash) / 8 }, signature);
  }
  return verify(`sha${hash}`, data, { key, dsaEncoding: 'der' }, signature);
}

const EXPECTED_KEY: Record<KeyAlgorithm, { type: string; detail: Record<string, unknown> }> = {
  RSA_2048: { type: 'rsa', detail: { modulusLength: 2048, publicExponent: 65537n } },
  RSA_3072: { type: 'rsa', detail: { modulusLength: 3072, publicExponent: 65537n } },
  RSA_4096: { type: 'rsa', detail: { modulusLength: 4096, publicExponent: 65537n } },
  EC_prime256v1: { type: 'ec', detail: { namedCurve: 'prime256v1' } },
  EC_secp384r1: { type: 'ec', detail: { namedCurve: 'secp384r1' } },
  EC_secp521r1: { type: 'ec', detail: { namedCurve: 'secp521r1' } },
  ED25519: { type: 'ed25519', detail: {} },
};

const SIGNATURES_BY_KEY: Record<KeyAlgorithm, SignatureAlgorithm[]> = {
  RSA_2048: ['sha256WithRSAEncryption', 'sha384WithRSAEncryption', 'sha512WithRSAEncryption',
    'rsassaPss-sha256', 'rsassaPss-sha384', 'rsassaPss-sha512'],
  RSA_3072: ['sha256WithRSAEncryption', 'rsassaPss-sha384'],
  RSA_4096: ['sha512WithRSAEncryption', 'rsassaPss-sha512'],
  EC_prime256v1: ['ecdsa-with-SHA256', 'ecdsa-with-SHA384', 'ecdsa-with-SHA512'],
  EC_secp384r1: ['ecdsa-with-SHA384', 'ecdsa-with-SHA256'],
  EC_secp521r1: ['ecdsa-with-SHA512', 'ecdsa-with-SHA256'],
  ED25519: ['Ed25519'],
};

describe('keystore/pkcs11 on SoftHSM', function () {
  this.timeout(120_000);
  const token = createSoftHsmToken();
  let ks: KeyStore & KeyInspector;
  const keys = new Map<KeyAlgorithm, GeneratedKey>();

  before(async () => {
    ks = await openPkcs11KeyStore({ module: token.module, tokenLabel: token.label, pin: token.pin });
    // In parallel: key generation runs off the event loop, one pool session each.
    await Promise.all(KEY_ALGORITHMS.map(async (alg) => keys.set(alg, await ks.generateKeyInToken(alg, `ca-${alg}`))));
  });

  after(async () => {
    await ks?.close();
  });

  describe('generateKeyInToken', () => {
    for (const alg of KEY_ALGORITHMS) {
      it(`${alg}: returns a URI with token, object and 16-byte id, and the key's SPKI`, () => {
        const key = keys.get(alg)!;
        const uri = parsePkcs11Uri(key.uri);
        assert.equal(uri.token, token.label);
        assert.equal(uri.object, `ca-${alg}`);
        assert.equal(uri.id?.length, 16);
        const pub = createPublicKey({ key: key.spki, format: 'der', type: 'spki' });
        assert.equal(pub.asymmetricKeyType, EXPECTED_KEY[alg].type);
        assert.deepEqual({ ...pub.asymmetricKeyDetails }, EXPECTED_KEY[alg].detail);
        // Our DER SPKI is canonical: re-exporting it gives the same bytes.
        assert.deepEqual(pub.export({ format: 'der', type: 'spki' }), key.spki);
      });

      it(`${alg}: the private key is a sensitive, never-extractable token object`, async () => {
        const { privateKey, publicKey } = await ks.inspectKey(keys.get(alg)!.uri);
        assert.deepEqual(
          { ...privateKey, id: privateKey.id.length },
          {
            label: `ca-${alg}`, id: 16, token: true, private: true, sensitive: true, extractable: false,
            alwaysSensitive: true, neverExtractable: true, sign: true,
          },
        );
        assert.equal(publicKey.verify, true);
        assert.equal(publicKey.token, true);
        assert.deepEqual(publicKey.id, privateKey.id);
        assert.equal(publicKey.label, privateKey.label);
      });
    }

    it('gives two keys with the same label different ids', async () => {
      const a = await ks.generateKeyInToken('EC_prime256v1', 'twin');
      const b = await ks.generateKeyInToken('EC_prime256v1', 'twin');
      assert.notDeepEqual(parsePkcs11Uri(a.uri).id, parsePkcs11Uri(b.uri).id);
      await assert.rejects(ks.openSigner('pkcs11:object=twin'), isKind('BadRequest'));
      assert.deepEqual((await ks.openSigner(b.uri)).spki, b.spki);
    });
  });

  describe('sign', () => {
    for (const alg of KEY_ALGORITHMS) {
      for (const sigAlg of SIGNATURES_BY_KEY[alg]) {
        it(`${alg} with ${sigAlg}: node:crypto verifies the X.509-form signature against the SPKI`, async () => {
          const signer = await ks.openSigner(keys.get(alg)!.uri, sigAlg);
          assert.equal(signer.keyAlgorithm, alg);
          assert.deepEqual(signer.spki, keys.get(alg)!.spki);
          for (const size of [1, 1000, 70_000]) {
            const tbs = randomBytes(size);
            const signature = await signer.sign(tbs);
            assert.ok(verifyX509(signer, tbs, signature), `${sigAlg} over ${size} bytes`);
            assert.ok(!verifyX509(signer, Buffer.concat([tbs, Buffer.from([0])]), signature));
          }
        });
      }
    }

    it('defaults the signature algorithm by key', async () => {
      const defaults = await Promise.all(KEY_ALGORITHMS.map(async (a) => (await ks.openSigner(keys.get(a)!.uri)).signatureAlgorithm));
      assert.deepEqual(defaults, [
        'sha256WithRSAEncryption', 'sha256WithRSAEncryption', 'sha256WithRSAEncryption',
        'ecdsa-with-SHA256', 'ecdsa-with-SHA384', 'ecdsa-with-SHA512', 'Ed25519',
      ]);
    });

    it('finds keys by label alone, by id alone, and without a token attribute', async () => {
      const key = keys.get('EC_secp384r1')!;
      const { id } = parsePkcs11Uri(key.uri);
      const idOnly = `pkcs11:id=${Array.from(id!, (b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`;
      for (const uri of [`pkcs11:token=${token.label};object=ca-EC_secp384r1`, idOnly]) {
        const signer = await ks.openSigner(uri);
        assert.equal(signer.uri, key.uri);
        const tbs = randomBytes(64);
        assert.ok(verifyX509(signer, tbs, await signer.sign(tbs)));
      }
    });

    it('survives ~200 concurrent signatures with mixed keys across the pool', async () => {
      const algs: KeyAlgorithm[] = ['EC_prime256v1', 'EC_secp384r1', 'EC_secp521r1', 'ED25519', 'RSA_2048'];
      const signers = await Promise.all(algs.map((a) => ks.openSigner(keys.get(a)!.uri)));
      const jobs = Array.from({ length: 200 }, (_, i) => {
        const signer = signers[i % signers.length]!;
        const tbs = randomBytes(100 + i * 37);
        return signer.sign(tbs).then((sig) => ({ signer, tbs, sig }));
      });
      const results = await Promise.all(jobs);
      for (const { signer, tbs, sig } of results) assert.ok(verifyX509(signer, tbs, sig), signer.keyAlgorithm);
    });
  });

  describe('openSigner errors', () => {
    it('rejects a URI that names no key in the token with BadRequest', async () => {
      await assert.rejects(ks.openSigner('pkcs11:object=no-such-key'), isKind('BadRequest'));
      await assert.rejects(ks.openSigner('pkcs11:id=%de%ad'), isKind('BadRequest'));
      await assert.rejects(ks.openSigner(`pkcs11:token=${token.label}`), isKind('BadRequest'));
    });

    it('rejects another token label, a non-private type and a PIN in the URI with BadRequest', async () => {
      await assert.rejects(ks.openSigner('pkcs11:token=elsewhere;object=ca-ED25519'), isKind('BadRequest'));
      await assert.rejects(ks.openSigner('pkcs11:object=ca-ED25519;type=public'), isKind('BadRequest'));
      await assert.rejects(ks.openSigner('pkcs11:object=ca-ED25519?pin-value=1234'), isKind('BadRequest'));
      await assert.rejects(ks.openSigner('not-a-uri'), isKind('BadRequest'));
    });

    it('rejects a signature algorithm that does not fit the key with BadRequest', async () => {
      await assert.rejects(ks.openSigner(keys.get('ED25519')!.uri, 'ecdsa-with-SHA256'), isKind('BadRequest'));
      await assert.rejects(ks.openSigner(keys.get('RSA_2048')!.uri, 'Ed25519'), isKind('BadRequest'));
    });
  });

  describe('health', () => {
    it('makes the hsmca-health key once and signs with it', async () => {
      await ks.health();
      await ks.health();
      const health = await ks.inspectKey('pkcs11:object=hsmca-health');
      assert.equal(health.privateKey.sensitive, true);
    });
  });
});
