/**
 * Key pair templates. The private half is a token object that is private, sensitive, never
 * extractable and can only sign; the public half can only verify and stays readable without a
 * login (CKA_PRIVATE=false) so the public key can be inspected with standard tools. Both halves
 * share the label and a random 16-byte CKA_ID, which the URI names.
 */
import { randomBytes } from 'node:crypto';
import * as graphene from 'graphene-pk11';
import type { KeyAlgorithm } from '../keystore';
import { KEY_SPECS, OID } from './key-algorithms';
import { CKM } from './mechanisms';

const CKK_EC_EDWARDS = 0x40;

export interface KeyPairTemplate {
  mechanism: graphene.IAlgorithm;
  publicKey: graphene.ITemplate;
  privateKey: graphene.ITemplate;
}

export function keyPairTemplate(algorithm: KeyAlgorithm, label: string, id: Buffer): KeyPairTemplate {
  const common = { token: true, label, id };
  const privateKey: graphene.ITemplate = {
    ...common, private: true, sensitive: true, extractable: false, sign: true,
    decrypt: false, unwrap: false, derive: false,
  };
  const publicKey: graphene.ITemplate = { ...common, private: false, verify: true, encrypt: false, wrap: false };
  const spec = KEY_SPECS[algorithm];
  switch (spec.kind) {
    case 'rsa':
      return {
        mechanism: { name: CKM.RSA_PKCS_KEY_PAIR_GEN, params: null },
        publicKey: { ...publicKey, keyType: graphene.KeyType.RSA, modulusBits: spec.bits, publicExponent: Buffer.from([1, 0, 1]) },
        privateKey: { ...privateKey, keyType: graphene.KeyType.RSA },
      };
    case 'ec':
      return {
        mechanism: { name: CKM.EC_KEY_PAIR_GEN, params: null },
        publicKey: { ...publicKey, keyType: graphene.KeyType.EC, paramsEC: spec.curveOid },
        privateKey: { ...privateKey, keyType: graphene.KeyType.EC },
      };
    case 'ed25519':
      // The RFC 8410 OID rather than the PrintableString: both work on SoftHSM 2.6.1, and the
      // OID is what PKCS#11 3.1 and OpenSSL-backed tokens expect.
      return {
        mechanism: { name: CKM.EC_EDWARDS_KEY_PAIR_GEN, params: null },
        publicKey: { ...publicKey, keyType: CKK_EC_EDWARDS, paramsEC: OID.ed25519 },
        privateKey: { ...privateKey, keyType: CKK_EC_EDWARDS },
      };
  }
}

/** Generates the pair on the libuv thread pool (RSA-4096 takes seconds on SoftHSM). */
export function generateKeyPairInToken(
  session: graphene.Session, algorithm: KeyAlgorithm, label: string,
): Promise<{ id: Buffer; keys: graphene.IKeyPair }> {
  const id = randomBytes(16);
  const t = keyPairTemplate(algorithm, label, id);
  return new Promise((resolve, reject) => {
    // C_GenerateKeyPair, inside the token: the private half is born sensitive and non-extractable.
    session.generateKeyPair(t.mechanism, t.publicKey, t.privateKey, (err, keys) => {
      if (err || !keys) reject(err ?? new Error('C_GenerateKeyPair returned no keys'));
      else resolve({ id, keys });
    });
  });
}
