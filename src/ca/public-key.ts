/**
 * What kind of key a SubjectPublicKeyInfo holds, and whether a CA certifies it (contract row 12):
 * RSA 2048–8192 bits with e ≥ 65537, EC on the named curves P-256/P-384/P-521, Ed25519.
 *
 * ```asn1
 * SubjectPublicKeyInfo  ::=  SEQUENCE  {
 *      algorithm            AlgorithmIdentifier,
 *      subjectPublicKey     BIT STRING  }
 * ```
 */
import type * as crypto from 'node:crypto';
import { Der, DerError, TAG, bitStringBytes, childrenOf, decodeOid, expectTag } from '../der';
import { importEc, importEd25519, importRsa } from './key-import';
import type { KeyFamily } from './signature-algorithm';

/** A key of a family the CA certifies, loaded; `problem` is set when its size or exponent is refused. */
export interface LoadedPublicKey {
  readonly family: KeyFamily;
  /** 'RSA-2048', 'P-256', 'Ed25519'. */
  readonly description: string;
  /** Why the key is refused, to follow `Unsupported CSR key: `; undefined when it is allowed. */
  readonly problem?: string;
  readonly key: crypto.KeyObject;
}

/** A key type the CA never certifies (DSA, Ed448, other curves, …), or an RSA key too large to verify with. */
export interface RefusedPublicKey {
  readonly family?: undefined;
  /** 'DSA', 'Ed448', 'secp256k1', … */
  readonly description: string;
  readonly problem: string;
}

export type PublicKeyInfo = LoadedPublicKey | RefusedPublicKey;

const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 8192;
const RSA_MIN_EXPONENT = 65537n;
/** OpenSSL's OPENSSL_RSA_MAX_MODULUS_BITS: it will not verify with a larger modulus. */
const RSA_VERIFY_MAX_BITS = 16384;

const NAMED_CURVES: Record<string, 'P-256' | 'P-384' | 'P-521'> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};
/** Curves seen in the field that we name in the refusal; any other OID is reported as is. */
const REFUSED_CURVES: Record<string, string> = {
  '1.2.840.10045.3.1.1': 'P-192',
  '1.3.132.0.33': 'P-224',
  '1.3.132.0.10': 'secp256k1',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
  '1.3.36.3.3.2.8.1.1.11': 'brainpoolP384r1',
  '1.3.36.3.3.2.8.1.1.13': 'brainpoolP512r1',
};
const REFUSED_ALGORITHMS: Record<string, string> = {
  '1.2.840.10040.4.1': 'DSA',
  '1.3.101.113': 'Ed448',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.2.840.10046.2.1': 'DH',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
};
const REFUSED_WHY: Record<string, string> = {
  'RSASSA-PSS': 'RSASSA-PSS (id-RSASSA-PSS) public keys are not accepted; use an rsaEncryption key',
  X25519: 'X25519 is a key-agreement key',
  X448: 'X448 is a key-agreement key',
  DH: 'DH is a key-agreement key',
};

/**
 * Inspects an SPKI. Refused key types are decided from the ASN.1 alone and never loaded;
 * allowed families are loaded into node:crypto (which checks e.g. that an EC point is on its
 * curve). Throws `DerError` when the structure or a key of an allowed family is malformed.
 */
export function inspectPublicKey(spki: Der): PublicKeyInfo {
  expectTag(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const [algorithm, bits, ...rest] = childrenOf(spki);
  if (!algorithm || !bits || rest.length) throw new DerError('malformed SubjectPublicKeyInfo');
  expectTag(algorithm, TAG.SEQUENCE, 'SubjectPublicKeyInfo algorithm');
  const keyBits = bitStringBytes(bits, 'subjectPublicKey');
  const [oidNode, params, ...extra] = childrenOf(algorithm);
  if (!oidNode || extra.length) throw new DerError('malformed SubjectPublicKeyInfo algorithm');
  const oid = decodeOid(oidNode);
  switch (oid) {
    case '1.2.840.113549.1.1.1':
      return inspectRsa(params, keyBits);
    case '1.2.840.10045.2.1':
      return inspectEc(params, keyBits);
    case '1.3.101.112':
      if (params) throw new DerError('Ed25519 key with parameters');
      return { family: 'ed25519', description: 'Ed25519', key: importEd25519(keyBits) };
    default: {
      const name = REFUSED_ALGORITHMS[oid];
      if (!name) return { description: oid, problem: `key algorithm ${oid} is not supported` };
      return { description: name, problem: REFUSED_WHY[name] ?? name };
    }
  }
}

/** RFC 3279 2.3.1: rsaEncryption parameters MUST be NULL. */
function inspectRsa(params: Der | undefined, keyBits: Buffer): PublicKeyInfo {
  if (!params || params.tag !== TAG.NULL || params.value.length) throw new DerError('RSA key parameters must be NULL');
  const { key, modulusBits, exponent } = importRsa(keyBits);
  const description = `RSA-${modulusBits}`;
  let problem: string | undefined;
  if (modulusBits < RSA_MIN_BITS || modulusBits > RSA_MAX_BITS) {
    problem = `${description} (RSA keys must have ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits)`;
    // Nothing could verify its signature: refused like a key type we never certify.
    if (modulusBits > RSA_VERIFY_MAX_BITS) return { description, problem };
  } else if (exponent < RSA_MIN_EXPONENT) {
    problem = `RSA public exponent ${exponent} (must be at least ${RSA_MIN_EXPONENT})`;
  }
  return { family: 'rsa', description, problem, key };
}

/**
 * RFC 5480 2.1.1: `ECParameters ::= CHOICE { namedCurve OBJECT IDENTIFIER, implicitCurve NULL,
 * specifiedCurve SpecifiedECDomain }`; RFC 5480 forbids all but namedCurve in certificates.
 * RFC 5480 2.2 makes the compressed point form optional for verifiers, and several (Go's
 * crypto/x509 among them) cannot parse it; since the SPKI is copied byte for byte into the
 * certificate, compressed points are refused rather than certified into an unusable certificate.
 */
function inspectEc(params: Der | undefined, point: Buffer): PublicKeyInfo {
  if (params?.tag === TAG.SEQUENCE) {
    return { description: 'EC (explicit parameters)', problem: 'EC key with explicit curve parameters (only named curves P-256, P-384 and P-521 are allowed)' };
  }
  if (!params || params.tag !== TAG.OID) throw new DerError('EC key without a named curve');
  const oid = decodeOid(params);
  const curve = NAMED_CURVES[oid];
  if (!curve) {
    const name = REFUSED_CURVES[oid] ?? oid;
    return { description: name, problem: `EC curve ${name === oid ? oid : `${name} (${oid})`}; allowed curves are P-256, P-384 and P-521` };
  }
  if (point[0] === 0x02 || point[0] === 0x03) {
    return { description: curve, problem: `${curve} key with a compressed point (only the uncompressed form is accepted)` };
  }
  return { family: 'ec', description: curve, key: importEc(curve, point) };
}
