/**
 * Builds the DER SubjectPublicKeyInfo of a token key pair from the public key object's
 * attributes, so the key never needs to leave the token in any other form.
 *
 *   SubjectPublicKeyInfo  ::=  SEQUENCE  {                       -- RFC 5280 §4.1
 *        algorithm            AlgorithmIdentifier,
 *        subjectPublicKey     BIT STRING  }
 *   AlgorithmIdentifier  ::=  SEQUENCE  {
 *        algorithm               OBJECT IDENTIFIER,
 *        parameters              ANY DEFINED BY algorithm OPTIONAL  }
 *   RSAPublicKey ::= SEQUENCE {                                   -- RFC 8017 A.1.1
 *        modulus           INTEGER,  -- n
 *        publicExponent    INTEGER   -- e }
 *
 * rsaEncryption takes NULL parameters (RFC 3279 §2.3.1), id-ecPublicKey the namedCurve OID
 * (RFC 5480 §2.1.1), id-Ed25519 none (RFC 8410 §3); EC keys carry the uncompressed point,
 * Ed25519 keys the 32 raw bytes.
 */
import type * as graphene from 'graphene-pk11';
import { badRequest } from '../../errors';
import type { KeyAlgorithm } from '../keystore';
import { DerError, TAG, encodeBitString as bitString, encodeSequence as sequence, encodeUnsignedInteger as unsignedInteger, parseDer } from '../../der';

const NULL = Buffer.from([TAG.NULL, 0x00]);

/** The content of `der` when it is exactly one TLV of `tag`, else undefined. */
function readTlv(der: Buffer, tag: number): Buffer | undefined {
  try {
    return Buffer.from(parseDer(der, tag).value);
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}
import { ecAlgorithmByParams, isEd25519Params, KEY_SPECS, OID } from './key-algorithms';

export interface PublicKeyInfo {
  keyAlgorithm: KeyAlgorithm;
  spki: Buffer;
}

const CKK_RSA = 0x00;
const CKK_EC = 0x03;
const CKK_EC_EDWARDS = 0x40;
const CKA_EC_PARAMS = 0x180;
const CKA_EC_POINT = 0x181;

export function rsaSpki(modulus: Buffer, exponent: Buffer): Buffer {
  const rsaPublicKey = sequence(unsignedInteger(modulus), unsignedInteger(exponent));
  return sequence(sequence(OID.rsaEncryption, NULL), bitString(rsaPublicKey));
}

/**
 * CKA_EC_POINT is meant to be a DER OCTET STRING around the point (SoftHSM does that, for
 * Ed25519 too), but some tokens return the bare point. Tell them apart by the expected length.
 */
export function unwrapEcPoint(point: Buffer, rawLength: number): Buffer {
  if (point.length === rawLength) return point;
  const inner = readTlv(point, 0x04);
  if (inner?.length === rawLength) return inner;
  throw badRequest(`CKA_EC_POINT has unexpected length ${point.length}`);
}

function bitLength(unsigned: Buffer): number {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  return i === unsigned.length ? 0 : (unsigned.length - i - 1) * 8 + unsigned[i]!.toString(2).length;
}

function rsaInfo(key: graphene.PublicKey): PublicKeyInfo {
  const modulus: Buffer = key.getAttribute('modulus');
  const exponent: Buffer = key.getAttribute('publicExponent');
  const bits = bitLength(modulus);
  const algorithm = (['RSA_2048', 'RSA_3072', 'RSA_4096'] as const).find((a) => {
    const spec = KEY_SPECS[a];
    return spec.kind === 'rsa' && spec.bits === bits;
  });
  if (!algorithm) throw badRequest(`RSA key of ${bits} bits is not a supported CA key size`);
  return { keyAlgorithm: algorithm, spki: rsaSpki(modulus, exponent) };
}

function ecInfo(key: graphene.PublicKey): PublicKeyInfo {
  const params = key.getAttribute(CKA_EC_PARAMS);
  const algorithm = ecAlgorithmByParams(params);
  const spec = algorithm && KEY_SPECS[algorithm];
  if (!algorithm || spec?.kind !== 'ec') throw badRequest('EC key is on an unsupported curve');
  const point = unwrapEcPoint(key.getAttribute(CKA_EC_POINT), 2 * spec.fieldBytes + 1);
  return { keyAlgorithm: algorithm, spki: sequence(sequence(OID.ecPublicKey, spec.curveOid), bitString(point)) };
}

function ed25519Info(key: graphene.PublicKey): PublicKeyInfo {
  if (!isEd25519Params(key.getAttribute(CKA_EC_PARAMS))) throw badRequest('Edwards key is not Ed25519');
  const point = unwrapEcPoint(key.getAttribute(CKA_EC_POINT), 32);
  return { keyAlgorithm: 'ED25519', spki: sequence(sequence(OID.ed25519), bitString(point)) };
}

/** Reads a public key object's algorithm and SPKI; throws `BadRequest` for unsupported keys. */
export function readPublicKey(key: graphene.PublicKey): PublicKeyInfo {
  const keyType: number = key.getAttribute('keyType');
  switch (keyType) {
    case CKK_RSA:
      return rsaInfo(key);
    case CKK_EC:
      return ecInfo(key);
    case CKK_EC_EDWARDS:
      return ed25519Info(key);
    default:
      throw badRequest(`key type 0x${keyType.toString(16)} is not supported for CA keys`);
  }
}
