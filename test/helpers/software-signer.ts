/**
 * A test-only `Signer` over node:crypto keys, so certificate logic can be tested without an HSM.
 * It lives under test/ on purpose: src/ has no software key path (CA keys live only in the HSM).
 */
import * as crypto from 'node:crypto';
import type { KeyAlgorithm, SignatureAlgorithm, Signer } from '../../src/keystore/keystore';

export type SoftwareKeyType = 'RSA-2048' | 'RSA-3072' | 'P-256' | 'P-384' | 'P-521' | 'Ed25519';

export interface SoftwareSigner extends Signer {
  readonly privateKey: crypto.KeyObject;
  /** PKCS#8 PEM, for handing the key to openssl. */
  readonly privateKeyPem: string;
}

const KEY_ALGORITHM: Record<SoftwareKeyType, KeyAlgorithm> = {
  'RSA-2048': 'RSA_2048', 'RSA-3072': 'RSA_3072', 'P-256': 'EC_prime256v1',
  'P-384': 'EC_secp384r1', 'P-521': 'EC_secp521r1', Ed25519: 'ED25519',
};

const DEFAULT_ALGORITHM: Record<SoftwareKeyType, SignatureAlgorithm> = {
  'RSA-2048': 'sha256WithRSAEncryption', 'RSA-3072': 'sha256WithRSAEncryption', 'P-256': 'ecdsa-with-SHA256',
  'P-384': 'ecdsa-with-SHA384', 'P-521': 'ecdsa-with-SHA512', Ed25519: 'Ed25519',
};

function generate(type: SoftwareKeyType): crypto.KeyObject {
  switch (type) {
    case 'RSA-2048': return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    case 'RSA-3072': return crypto.generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
    case 'P-256': return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'P-384': return crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    case 'P-521': return crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey;
    case 'Ed25519': return crypto.generateKeyPairSync('ed25519').privateKey;
  }
}

/** An Ed25519 private key from a fixed 32-byte seed (RFC 8410 PKCS#8): deterministic keys and signatures. */
export function ed25519FromSeed(seed: Buffer): crypto.KeyObject {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}

/** Signs as X.509 wants it: PKCS#1 v1.5, PSS (MGF1 same hash, salt = hash length), DER ECDSA, raw Ed25519. */
export function signAs(alg: SignatureAlgorithm, key: crypto.KeyObject, data: Buffer): Buffer {
  if (alg === 'Ed25519') return crypto.sign(null, data, key);
  const hash = `sha${/(256|384|512)/.exec(alg)![1]}`;
  if (alg.startsWith('ecdsa')) return crypto.sign(hash, data, { key, dsaEncoding: 'der' });
  if (alg.startsWith('rsassaPss')) {
    return crypto.sign(hash, data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST });
  }
  return crypto.sign(hash, data, key);
}

const cache = new Map<SoftwareKeyType, crypto.KeyObject>();

/**
 * A signer for `type` (keys are generated once per test process and shared unless `fresh`),
 * signing with `signatureAlgorithm` (default: the contract's choice for the key).
 */
export function softwareSigner(
  type: SoftwareKeyType,
  signatureAlgorithm: SignatureAlgorithm = DEFAULT_ALGORITHM[type],
  options: { fresh?: boolean; privateKey?: crypto.KeyObject } = {},
): SoftwareSigner {
  let privateKey = options.privateKey ?? (options.fresh ? undefined : cache.get(type));
  if (!privateKey) {
    privateKey = generate(type);
    if (!options.fresh) cache.set(type, privateKey);
  }
  const key = privateKey;
  return {
    uri: `pkcs11:token=software;object=${type}`,
    keyAlgorithm: KEY_ALGORITHM[type],
    spki: crypto.createPublicKey(key).export({ format: 'der', type: 'spki' }),
    signatureAlgorithm,
    privateKey: key,
    privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    sign: async (tbs: Buffer) => signAs(signatureAlgorithm, key, tbs),
  };
}
