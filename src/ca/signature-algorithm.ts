/**
 * Signature algorithms: the AlgorithmIdentifier a CA writes (byte-exact, as the CA/Browser Forum
 * Baseline Requirements 7.1.3.2 spell them), the reading of one found in a CSR or certificate,
 * and the mapping to `node:crypto` verify options.
 *
 * ```asn1
 * AlgorithmIdentifier  ::=  SEQUENCE  {
 *      algorithm               OBJECT IDENTIFIER,
 *      parameters              ANY DEFINED BY algorithm OPTIONAL  }
 * ```
 */
import * as crypto from 'node:crypto';
import type { SignatureAlgorithm } from '../keystore/keystore';
import { Der, DerError, TAG, childrenOf, decodeOid, decodeSmallInteger, encodeOid, encodeSequence, encodeTlv, contextTag, parseDer } from '../der';

export type HashName = 'sha256' | 'sha384' | 'sha512';
export type KeyFamily = 'rsa' | 'ec' | 'ed25519';

/** What `node:crypto` needs to verify a signature. */
export interface VerifySpec {
  readonly name: string;
  readonly family: KeyFamily;
  /** null for Ed25519 (PureEdDSA hashes internally). */
  readonly hash: HashName | null;
  /** Present for RSASSA-PSS only. */
  readonly pssSaltLength?: number;
}

const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const OID_MGF1 = '1.2.840.113549.1.1.8';
const HASH_OIDS: Record<string, HashName | 'sha1'> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1',
};
const HASH_OID_OF: Record<HashName, string> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};
const HASH_LENGTH: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Algorithms without parameters beyond the OID (PKCS#1 v1.5, ECDSA, Ed25519). */
const SIMPLE: Record<string, VerifySpec & { paramsNull: boolean }> = {
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', family: 'rsa', hash: 'sha256', paramsNull: true },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', family: 'rsa', hash: 'sha384', paramsNull: true },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', family: 'rsa', hash: 'sha512', paramsNull: true },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', family: 'ec', hash: 'sha256', paramsNull: false },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', family: 'ec', hash: 'sha384', paramsNull: false },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', family: 'ec', hash: 'sha512', paramsNull: false },
  '1.3.101.112': { name: 'Ed25519', family: 'ed25519', hash: null, paramsNull: false },
};

/** MD2/MD4/MD5/SHA-1 based: refused outright (contract row 11). */
const WEAK: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.3': 'md4WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.3.14.3.2.3': 'md5WithRSA',
  '1.3.14.3.2.29': 'sha1WithRSASignature',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
};

export type ReadSignatureAlgorithm =
  | { kind: 'ok'; spec: VerifySpec }
  | { kind: 'weak'; name: string }
  | { kind: 'unsupported'; oid: string; why?: string };

/** Classifies an AlgorithmIdentifier. Throws `DerError` when its parameters are malformed. */
export function readSignatureAlgorithm(node: Der): ReadSignatureAlgorithm {
  const [oidNode, params, ...rest] = childrenOf(node);
  if (!oidNode || rest.length) throw new DerError('malformed AlgorithmIdentifier');
  const oid = decodeOid(oidNode);
  if (WEAK[oid]) return { kind: 'weak', name: WEAK[oid] };
  if (oid === OID_RSASSA_PSS) return readPssParams(params);
  const simple = SIMPLE[oid];
  if (!simple) return { kind: 'unsupported', oid };
  // RFC 4055 section 5: RSA parameters are NULL, absent accepted; RFC 5758 / 8410: ECDSA and Ed25519 have none.
  const paramsOk = params === undefined || (simple.paramsNull && params.tag === TAG.NULL && params.value.length === 0);
  if (!paramsOk) throw new DerError(`${simple.name} with unexpected parameters`);
  const { name, family, hash } = simple;
  return { kind: 'ok', spec: { name, family, hash } };
}

/**
 * RFC 4055 section 3.1:
 * ```asn1
 * RSASSA-PSS-params  ::=  SEQUENCE  {
 *     hashAlgorithm      [0] HashAlgorithm DEFAULT sha1Identifier,
 *     maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1Identifier,
 *     saltLength         [2] INTEGER DEFAULT 20,
 *     trailerField       [3] INTEGER DEFAULT 1  }
 * ```
 * node:crypto's MGF1 always uses the message hash, so a different MGF1 hash is unsupported.
 */
function readPssParams(params: Der | undefined): ReadSignatureAlgorithm {
  if (!params || params.tag !== TAG.SEQUENCE) throw new DerError('RSASSA-PSS without parameters');
  let hash: HashName | 'sha1' = 'sha1';
  let mgfHash: HashName | 'sha1' = 'sha1';
  let saltLength = 20;
  let lastTag = -1;
  for (const field of childrenOf(params)) {
    if (field.tag <= lastTag) throw new DerError('RSASSA-PSS parameters out of order');
    lastTag = field.tag;
    const [inner, ...extra] = childrenOf(field);
    if (!inner || extra.length) throw new DerError('malformed RSASSA-PSS parameters');
    if (field.tag === contextTag(0)) hash = readHashAlgorithm(inner);
    else if (field.tag === contextTag(1)) mgfHash = readMgf1(inner);
    else if (field.tag === contextTag(2)) saltLength = decodeSmallInteger(inner, 'RSASSA-PSS saltLength');
    else if (field.tag === contextTag(3)) {
      if (decodeSmallInteger(inner, 'RSASSA-PSS trailerField') !== 1) throw new DerError('RSASSA-PSS trailerField must be 1');
    } else throw new DerError('unknown RSASSA-PSS parameter');
  }
  if (hash === 'sha1' || mgfHash === 'sha1') return { kind: 'weak', name: 'RSASSA-PSS with SHA-1' };
  if (mgfHash !== hash) {
    return { kind: 'unsupported', oid: OID_RSASSA_PSS, why: `MGF1 with ${mgfHash} and message hash ${hash}` };
  }
  return { kind: 'ok', spec: { name: `rsassaPss-${hash}`, family: 'rsa', hash, pssSaltLength: saltLength } };
}

function readHashAlgorithm(node: Der): HashName | 'sha1' {
  const [oidNode, params, ...rest] = childrenOf(node);
  const hash = oidNode && HASH_OIDS[decodeOid(oidNode)];
  if (!hash || rest.length) throw new DerError('unsupported RSASSA-PSS hash algorithm');
  if (params && !(params.tag === TAG.NULL && params.value.length === 0)) throw new DerError('malformed hash parameters');
  return hash;
}

function readMgf1(node: Der): HashName | 'sha1' {
  const [oidNode, hashAlg, ...rest] = childrenOf(node);
  if (!oidNode || decodeOid(oidNode) !== OID_MGF1 || !hashAlg || rest.length) {
    throw new DerError('RSASSA-PSS mask generation function must be MGF1');
  }
  return readHashAlgorithm(hashAlg);
}

/** Verifies `signature` over `data`; throws only when node:crypto cannot use the key at all. */
export function verifySignature(spec: VerifySpec, key: crypto.KeyObject, data: Buffer, signature: Buffer): boolean {
  if (spec.family === 'ed25519') return crypto.verify(null, data, key, signature);
  if (spec.family === 'ec') return crypto.verify(spec.hash, data, { key, dsaEncoding: 'der' }, signature);
  if (spec.pssSaltLength === undefined) return crypto.verify(spec.hash, data, key, signature);
  const options = { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pssSaltLength };
  return crypto.verify(spec.hash, data, options, signature);
}

// ---- what a CA writes ----

const NULL_DER = Buffer.from([TAG.NULL, 0]);
const hashIdentifier = (hash: HashName): Buffer => encodeSequence(encodeOid(HASH_OID_OF[hash]), NULL_DER);

/** RSASSA-PSS with `hash`, MGF1 with the same hash, salt = hash length, trailerField omitted (default). */
function pssIdentifier(hash: HashName): Buffer {
  const params = encodeSequence(
    encodeTlv(contextTag(0), hashIdentifier(hash)),
    encodeTlv(contextTag(1), encodeSequence(encodeOid(OID_MGF1), hashIdentifier(hash))),
    encodeTlv(contextTag(2), encodeTlv(TAG.INTEGER, Buffer.from([HASH_LENGTH[hash]]))),
  );
  return encodeSequence(encodeOid(OID_RSASSA_PSS), params);
}

const simpleIdentifier = (oid: string, paramsNull: boolean): Buffer =>
  paramsNull ? encodeSequence(encodeOid(oid), NULL_DER) : encodeSequence(encodeOid(oid));

const IDENTIFIERS: Record<SignatureAlgorithm, Buffer> = {
  sha256WithRSAEncryption: simpleIdentifier('1.2.840.113549.1.1.11', true),
  sha384WithRSAEncryption: simpleIdentifier('1.2.840.113549.1.1.12', true),
  sha512WithRSAEncryption: simpleIdentifier('1.2.840.113549.1.1.13', true),
  'rsassaPss-sha256': pssIdentifier('sha256'),
  'rsassaPss-sha384': pssIdentifier('sha384'),
  'rsassaPss-sha512': pssIdentifier('sha512'),
  'ecdsa-with-SHA256': simpleIdentifier('1.2.840.10045.4.3.2', false),
  'ecdsa-with-SHA384': simpleIdentifier('1.2.840.10045.4.3.3', false),
  'ecdsa-with-SHA512': simpleIdentifier('1.2.840.10045.4.3.4', false),
  Ed25519: simpleIdentifier('1.3.101.112', false),
};

/** The DER AlgorithmIdentifier a CA using `alg` writes in TBSCertificate.signature and Certificate. */
export function algorithmIdentifierDer(alg: SignatureAlgorithm): Buffer {
  return IDENTIFIERS[alg];
}

/** How node:crypto verifies signatures made with `alg`. */
export function verifySpecOf(alg: SignatureAlgorithm): VerifySpec {
  const read = readSignatureAlgorithm(parseDer(IDENTIFIERS[alg], TAG.SEQUENCE));
  if (read.kind !== 'ok') throw new Error(`no verify spec for ${alg}`);
  return read.spec;
}

/** The hash `alg` signs with; null for Ed25519. */
export const hashOf = (alg: SignatureAlgorithm): HashName | null => verifySpecOf(alg).hash;

/** The key family of a node:crypto key, or undefined for keys a CA never uses. */
export function keyFamilyOf(key: crypto.KeyObject): KeyFamily | undefined {
  const type = key.asymmetricKeyType;
  return type === 'rsa' || type === 'ec' || type === 'ed25519' ? type : undefined;
}
