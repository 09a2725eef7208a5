import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors';
import { CKM, planSignature } from '../../../src/keystore/pkcs11/mechanisms';

const isBadRequest = (err: unknown): boolean => err instanceof AppError && err.kind === 'BadRequest';
/** The signing mechanisms SoftHSM 2.6.1 lists (no CKM_ECDSA_SHA*). */
const SOFTHSM = new Set<number>([
  CKM.SHA256_RSA_PKCS, CKM.SHA384_RSA_PKCS, CKM.SHA512_RSA_PKCS,
  CKM.SHA256_RSA_PKCS_PSS, CKM.SHA384_RSA_PKCS_PSS, CKM.SHA512_RSA_PKCS_PSS, CKM.ECDSA, CKM.EDDSA,
]);

describe('keystore/pkcs11 planSignature', () => {
  it('hashes on the host and uses raw CKM_ECDSA when the token has no CKM_ECDSA_SHA*', () => {
    const plan = planSignature('EC_secp384r1', 'ecdsa-with-SHA384', SOFTHSM);
    assert.equal(plan.mechanism.name, CKM.ECDSA);
    assert.equal(plan.prehash, 'sha384');
  });

  it('uses CKM_ECDSA_SHA256 on the token when it has it', () => {
    const plan = planSignature('EC_prime256v1', 'ecdsa-with-SHA256', new Set([...SOFTHSM, CKM.ECDSA_SHA256]));
    assert.equal(plan.mechanism.name, CKM.ECDSA_SHA256);
    assert.equal(plan.prehash, undefined);
  });

  it('uses hash-specific RSA mechanisms, with PSS salt = hash length and MGF1 of the same hash', () => {
    assert.equal(planSignature('RSA_2048', 'sha384WithRSAEncryption', SOFTHSM).mechanism.name, CKM.SHA384_RSA_PKCS);
    const pss = planSignature('RSA_3072', 'rsassaPss-sha512', SOFTHSM);
    assert.equal(pss.mechanism.name, CKM.SHA512_RSA_PKCS_PSS);
    assert.deepEqual(
      { ...(pss.mechanism.params as object) },
      { hashAlgorithm: 0x270, mgf: 4, saltLength: 64, type: 5 },
    );
  });

  it('uses CKM_EDDSA for Ed25519', () => {
    assert.equal(planSignature('ED25519', 'Ed25519', SOFTHSM).mechanism.name, CKM.EDDSA);
  });

  it('rejects a mechanism the token lacks with BadRequest', () => {
    assert.throws(() => planSignature('ED25519', 'Ed25519', new Set([CKM.ECDSA])), isBadRequest);
    assert.throws(() => planSignature('EC_prime256v1', 'ecdsa-with-SHA256', new Set([CKM.EDDSA])), isBadRequest);
  });

  it('rejects an algorithm that does not fit the key with BadRequest', () => {
    assert.throws(() => planSignature('EC_prime256v1', 'sha256WithRSAEncryption', SOFTHSM), isBadRequest);
    assert.throws(() => planSignature('RSA_2048', 'Ed25519', SOFTHSM), isBadRequest);
    assert.throws(() => planSignature('ED25519', 'ecdsa-with-SHA256', SOFTHSM), isBadRequest);
  });
});
