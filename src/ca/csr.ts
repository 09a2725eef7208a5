/**
 * The checks a CSR must pass before a CA signs anything for it: contract rows 10 to 13, in order.
 *
 * ```asn1
 * CertificationRequest ::= SEQUENCE {
 *   certificationRequestInfo CertificationRequestInfo,
 *   signatureAlgorithm AlgorithmIdentifier{{ SignatureAlgorithms }},
 *   signature          BIT STRING }
 * CertificationRequestInfo ::= SEQUENCE {
 *   version       INTEGER { v1(0) } (v1,...),
 *   subject       Name,
 *   subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
 *   attributes    [0] Attributes{{ CRIAttributes }} }
 * Attributes { ATTRIBUTE:IOSet } ::= SET OF Attribute{{ IOSet }}
 * Attribute { ATTRIBUTE:IOSet } ::= SEQUENCE {
 *   type   ATTRIBUTE.&id({IOSet}),
 *   values SET SIZE(1..MAX) OF ATTRIBUTE.&Type({IOSet}{@type}) }
 * ```
 * (RFC 2986.) The structure is walked with the strict DER reader rather than a generic ASN.1
 * object model: the signed bytes, the subject and the SPKI are needed byte for byte anyway, and
 * the walk costs microseconds where `AsnConvert.parse(…, CertificationRequest)` costs ~200 µs.
 */
import { AppError, badRequest } from '../errors';
import { Der, DerError, TAG, bitStringBytes, childrenOf, contextTag, decodeSmallInteger, expectTag, parseDer } from '../der';
import { NameSummary, checkSubject, readName } from './name';
import { parseCsrPem } from './pem';
import type { LoadedPublicKey } from './public-key';
import { inspectPublicKeyCached } from './public-key-cache';
import { VerifySpec, readSignatureAlgorithm, verifySignature } from './signature-algorithm';

/** A CSR that passed rows 10–13. Buffers are views on `der`. */
export interface CheckedCsr {
  readonly der: Buffer;
  /** The CSR's subject Name, DER, byte for byte. */
  readonly subjectDer: Buffer;
  /** The CSR's SubjectPublicKeyInfo, DER, byte for byte. */
  readonly spkiDer: Buffer;
  /** The subject for display and storage, e.g. `O=Acme, CN=Acme Issuing CA` (see `NameSummary.text`). */
  readonly subjectText: string;
  /** 'RSA-2048', 'P-256', 'P-384', 'P-521', 'Ed25519', … */
  readonly keyDescription: string;
}

interface CsrParts {
  info: Der;
  subject: Der;
  subjectSummary: NameSummary;
  spki: Der;
  signatureAlgorithm: Der;
  signature: Buffer;
}

/**
 * Rows 10–13. One deliberate refinement of the order: a key of a type the CA never certifies
 * (DSA, Ed448, X25519, id-RSASSA-PSS, curves other than P-256/384/521, explicit EC parameters,
 * unknown algorithms) or an RSA modulus past OpenSSL's 16384-bit verify limit is refused with
 * row 12's message right after the MD5/SHA-1 check, before the signature is verified: node:crypto
 * cannot verify with several of them, and a verified signature by a refused key would change
 * nothing. Allowed key types with a refused size or exponent (RSA-1024, e=3, RSA-8200) follow the
 * contract's order exactly: signature first.
 */
export function checkCsr(pemText: string): CheckedCsr {
  const der = parseCsrPem(pemText);
  const csr = invalidOnDerError('', () => parseCsrDer(der));
  const alg = invalidOnDerError('signature algorithm: ', () => readSignatureAlgorithm(csr.signatureAlgorithm));
  if (alg.kind === 'weak') {
    throw badRequest(`Invalid CSR: signature algorithm ${alg.name} is not allowed (MD5 and SHA-1 are broken)`);
  }
  const key = invalidOnDerError('', () => inspectPublicKeyCached(csr.spki));
  if (!key.family) throw unsupportedKey(key.problem);
  if (alg.kind === 'unsupported') {
    const why = alg.why ? ` (${alg.why})` : '';
    throw badRequest(`Invalid CSR: signature algorithm ${alg.oid} is not supported${why}`);
  }
  verifyCsrSignature(csr, alg.spec, key);
  if (key.problem) throw unsupportedKey(key.problem);
  checkSubject(csr.subjectSummary);
  return {
    der,
    subjectDer: csr.subject.raw,
    spkiDer: csr.spki.raw,
    subjectText: csr.subjectSummary.text,
    keyDescription: key.description,
  };
}

/** Row 10, the DER half. Throws `DerError`. */
function parseCsrDer(der: Buffer): CsrParts {
  const outer = parseDer(der, TAG.SEQUENCE, 'CSR DER');
  const [info, signatureAlgorithm, signatureBits, ...rest] = childrenOf(outer);
  if (!signatureBits || rest.length) throw new DerError('CertificationRequest must have 3 elements');
  expectTag(info, TAG.SEQUENCE, 'CertificationRequestInfo');
  expectTag(signatureAlgorithm, TAG.SEQUENCE, 'signatureAlgorithm');
  const signature = bitStringBytes(signatureBits, 'signature');
  const [version, subject, spki, attributes, ...more] = childrenOf(info);
  if (!spki || more.length) throw new DerError('malformed CertificationRequestInfo');
  if (decodeSmallInteger(version, 'version') !== 0) throw new DerError('version must be 0 (v1)');
  if (attributes) checkAttributes(attributes);
  return { info, subject, subjectSummary: readName(subject), spki, signatureAlgorithm, signature };
}

/** Attributes are ignored (nothing requested is copied), but must be well formed. */
function checkAttributes(attributes: Der): void {
  expectTag(attributes, contextTag(0), 'attributes');
  for (const attribute of childrenOf(attributes)) {
    expectTag(attribute, TAG.SEQUENCE, 'Attribute');
    const [type, values, ...rest] = childrenOf(attribute);
    if (!type || !values || rest.length) throw new DerError('malformed Attribute');
    expectTag(type, TAG.OID, 'Attribute type');
    expectTag(values, TAG.SET, 'Attribute values');
    if (childrenOf(values).length === 0) throw new DerError('Attribute without values');
  }
}

/** Row 11. */
function verifyCsrSignature(csr: CsrParts, spec: VerifySpec, key: LoadedPublicKey): void {
  if (spec.family !== key.family) {
    throw badRequest(`Invalid CSR: signature algorithm ${spec.name} does not match the ${key.description} key`);
  }
  let ok = false;
  try {
    ok = verifySignature(spec, key.key, csr.info.raw, csr.signature);
  } catch {
    // OpenSSL refused the key/parameter combination itself: no signature of it can verify.
    if (key.problem) throw unsupportedKey(key.problem);
  }
  if (!ok) throw badRequest('Invalid CSR: signature does not verify');
}

const unsupportedKey = (problem: string): AppError => badRequest(`Unsupported CSR key: ${problem}`);

function invalidOnDerError<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DerError) throw badRequest(`Invalid CSR: ${prefix}${err.message}`);
    throw err;
  }
}
