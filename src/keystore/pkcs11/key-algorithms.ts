/**
 * What the token needs to know about each key algorithm: RSA modulus size, or the curve's
 * CKA_EC_PARAMS (a DER OBJECT IDENTIFIER, which is also the SPKI's namedCurve parameter).
 */
import type { KeyAlgorithm, SignatureAlgorithm } from '../keystore';

export type KeySpec =
  | { kind: 'rsa'; bits: number }
  | { kind: 'ec'; curveOid: Buffer; fieldBytes: number }
  | { kind: 'ed25519' };

/** DER OBJECT IDENTIFIERs. */
export const OID = {
  rsaEncryption: Buffer.from('06092a864886f70d010101', 'hex'), // 1.2.840.113549.1.1.1
  ecPublicKey: Buffer.from('06072a8648ce3d0201', 'hex'), // 1.2.840.10045.2.1
  prime256v1: Buffer.from('06082a8648ce3d030107', 'hex'), // 1.2.840.10045.3.1.7
  secp384r1: Buffer.from('06052b81040022', 'hex'), // 1.3.132.0.34
  secp521r1: Buffer.from('06052b81040023', 'hex'), // 1.3.132.0.35
  ed25519: Buffer.from('06032b6570', 'hex'), // 1.3.101.112 (RFC 8410)
} as const;

/**
 * PKCS#11 3.0 also allows CKA_EC_PARAMS for Edwards curves to be the PrintableString
 * "edwards25519"; SoftHSM 2.6.1 accepts and stores either form as given.
 */
export const ED25519_PRINTABLE = Buffer.from('130c656477617264733235353139', 'hex'); // PrintableString "edwards25519"

export const KEY_SPECS: Readonly<Record<KeyAlgorithm, KeySpec>> = {
  RSA_2048: { kind: 'rsa', bits: 2048 },
  RSA_3072: { kind: 'rsa', bits: 3072 },
  RSA_4096: { kind: 'rsa', bits: 4096 },
  EC_prime256v1: { kind: 'ec', curveOid: OID.prime256v1, fieldBytes: 32 },
  EC_secp384r1: { kind: 'ec', curveOid: OID.secp384r1, fieldBytes: 48 },
  EC_secp521r1: { kind: 'ec', curveOid: OID.secp521r1, fieldBytes: 66 },
  ED25519: { kind: 'ed25519' },
};

/** The signature algorithm a key signs with unless the caller asks for another. */
export const DEFAULT_SIGNATURE: Readonly<Record<KeyAlgorithm, SignatureAlgorithm>> = {
  RSA_2048: 'sha256WithRSAEncryption',
  RSA_3072: 'sha256WithRSAEncryption',
  RSA_4096: 'sha256WithRSAEncryption',
  EC_prime256v1: 'ecdsa-with-SHA256',
  EC_secp384r1: 'ecdsa-with-SHA384',
  EC_secp521r1: 'ecdsa-with-SHA512',
  ED25519: 'Ed25519',
};

/** The key algorithm whose curve CKA_EC_PARAMS names, for Weierstrass curves. */
export function ecAlgorithmByParams(params: Buffer): KeyAlgorithm | undefined {
  for (const [name, spec] of Object.entries(KEY_SPECS)) {
    if (spec.kind === 'ec' && spec.curveOid.equals(params)) return name as KeyAlgorithm;
  }
  return undefined;
}

export function isEd25519Params(params: Buffer): boolean {
  return params.equals(OID.ed25519) || params.equals(ED25519_PRINTABLE);
}
