/**
 * node:crypto KeyObjects from the parts of a SubjectPublicKeyInfo, for the request path.
 * Measured on Node 20 / OpenSSL 3.0: `createPublicKey` from SPKI DER costs 70–110 µs per key
 * (OpenSSL 3's decoder framework); from a JWK, 3 µs (RSA), 6 µs (Ed25519), 65 µs (EC, which
 * checks the point is on the curve). The JWK is built from the DER we have already walked.
 */
import * as crypto from 'node:crypto';
import { Der, DerError, TAG, childrenOf, expectTag, parseDer } from '../der';

const COORDINATE_BYTES: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

function importJwk(jwk: crypto.JsonWebKey, what: string): crypto.KeyObject {
  try {
    return crypto.createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new DerError(`the ${what} public key cannot be decoded`);
  }
}

/** The magnitude of a positive, minimally encoded INTEGER. */
function positiveInteger(node: Der, what: string): Buffer {
  expectTag(node, TAG.INTEGER, what);
  const v = node.value;
  if (v.length === 0 || v[0] & 0x80) throw new DerError(`${what} must be positive`);
  if (v[0] === 0 && (v.length === 1 || !(v[1] & 0x80))) throw new DerError(`${what} is not minimally encoded`);
  return v[0] === 0 ? v.subarray(1) : v;
}

export interface RsaPublicKey {
  readonly key: crypto.KeyObject;
  readonly modulusBits: number;
  readonly exponent: bigint;
}

/**
 * RFC 8017 A.1.1, the subjectPublicKey of an rsaEncryption SPKI:
 * ```asn1
 * RSAPublicKey ::= SEQUENCE {
 *     modulus           INTEGER,  -- n
 *     publicExponent    INTEGER   -- e }
 * ```
 */
export function importRsa(keyBits: Buffer): RsaPublicKey {
  const [nNode, eNode, ...rest] = childrenOf(parseDer(keyBits, TAG.SEQUENCE, 'RSAPublicKey'));
  if (!eNode || rest.length) throw new DerError('malformed RSAPublicKey');
  const n = positiveInteger(nNode, 'RSA modulus');
  const e = positiveInteger(eNode, 'RSA public exponent');
  return {
    key: importJwk({ kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, 'RSA'),
    modulusBits: (n.length - 1) * 8 + (32 - Math.clz32(n[0])),
    exponent: BigInt(`0x${e.toString('hex')}`),
  };
}

/** SEC 1 2.3.3: an uncompressed point `04 ‖ X ‖ Y` (the only form `inspectPublicKey` lets through). */
export function importEc(curve: 'P-256' | 'P-384' | 'P-521', point: Buffer): crypto.KeyObject {
  const size = COORDINATE_BYTES[curve];
  if (point.length !== 1 + 2 * size || point[0] !== 0x04) throw new DerError(`the ${curve} public key cannot be decoded`);
  const x = point.subarray(1, 1 + size).toString('base64url');
  const y = point.subarray(1 + size).toString('base64url');
  return importJwk({ kty: 'EC', crv: curve, x, y }, curve);
}

/** RFC 8410: the subjectPublicKey of an Ed25519 SPKI is the 32-byte public key. */
export function importEd25519(raw: Buffer): crypto.KeyObject {
  if (raw.length !== 32) throw new DerError('the Ed25519 public key cannot be decoded');
  return importJwk({ kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, 'Ed25519');
}
