/**
 * The certificate extensions a CA writes, as DER. They are written with the DER helpers rather
 * than serialized from @peculiar/asn1-x509 objects: `AsnConvert.serialize` costs ~40 µs per
 * extension, these a microsecond or two. The unit tests serialize the same extensions with
 * asn1-x509's classes and require identical bytes, so the library stays the reference.
 *
 * ```asn1
 * Extension  ::=  SEQUENCE  {
 *      extnID      OBJECT IDENTIFIER,
 *      critical    BOOLEAN DEFAULT FALSE,
 *      extnValue   OCTET STRING }
 * ```
 */
import * as crypto from 'node:crypto';
import { TAG, bitStringBytes, childrenOf, contextTag, encodeOid, encodeSequence, encodeTlv, encodeUnsignedInteger, expectTag, parseDer } from '../der';

const TRUE = Buffer.from([0x01, 0x01, 0xff]);
const OID = {
  basicConstraints: encodeOid('2.5.29.19'),
  keyUsage: encodeOid('2.5.29.15'),
  subjectKeyIdentifier: encodeOid('2.5.29.14'),
  authorityKeyIdentifier: encodeOid('2.5.29.35'),
  cRLDistributionPoints: encodeOid('2.5.29.31'),
  authorityInfoAccess: encodeOid('1.3.6.1.5.5.7.1.1'),
  caIssuers: encodeOid('1.3.6.1.5.5.7.48.2'),
};

/** One Extension; `critical` FALSE is the DEFAULT and so is omitted (X.690 11.5). */
function extension(oid: Buffer, critical: boolean, value: Buffer): Buffer {
  const parts = [oid];
  if (critical) parts.push(TRUE);
  parts.push(encodeTlv(TAG.OCTET_STRING, value));
  return encodeSequence(...parts);
}

/**
 * RFC 5280 4.2.1.9, always critical with cA TRUE here. pathLen 0 is written (it is a constraint);
 * `undefined` leaves it out.
 * ```asn1
 * BasicConstraints ::= SEQUENCE {
 *      cA                      BOOLEAN DEFAULT FALSE,
 *      pathLenConstraint       INTEGER (0..MAX) OPTIONAL }
 * ```
 */
export function basicConstraintsCa(pathLen: number | undefined): Buffer {
  const fields: Buffer[] = [TRUE];
  if (pathLen !== undefined) {
    if (!Number.isSafeInteger(pathLen) || pathLen < 0) throw new Error(`invalid pathLen ${pathLen}`);
    fields.push(encodeUnsignedInteger(Buffer.from(pathLen.toString(16).padStart(16, '0'), 'hex')));
  }
  return extension(OID.basicConstraints, true, encodeSequence(...fields));
}

/**
 * RFC 5280 4.2.1.3, critical: digitalSignature (0), keyCertSign (5), cRLSign (6) — bits
 * 1000 0110 with the one trailing zero bit declared unused (X.690 11.2.2).
 * ```asn1
 * KeyUsage ::= BIT STRING { digitalSignature (0), …, keyCertSign (5), cRLSign (6), … }
 * ```
 */
export const KEY_USAGE_CA: Buffer = extension(OID.keyUsage, true, Buffer.from([TAG.BIT_STRING, 0x02, 0x01, 0x86]));

/**
 * RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value (excluding the
 * tag, length and number of unused bits).
 */
export function keyIdentifierOf(spkiDer: Buffer): Buffer {
  const spki = parseDer(spkiDer, TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const [, bits] = childrenOf(spki);
  if (!bits) throw new Error('malformed SubjectPublicKeyInfo');
  expectTag(bits, TAG.BIT_STRING, 'subjectPublicKey');
  return crypto.hash('sha1', bitStringBytes(bits, 'subjectPublicKey'), 'buffer');
}

/** RFC 5280 4.2.1.2, not critical. `SubjectKeyIdentifier ::= KeyIdentifier` (an OCTET STRING). */
export const subjectKeyIdentifier = (keyId: Buffer): Buffer =>
  extension(OID.subjectKeyIdentifier, false, encodeTlv(TAG.OCTET_STRING, keyId));

/**
 * RFC 5280 4.2.1.1, not critical, keyIdentifier only.
 * ```asn1
 * AuthorityKeyIdentifier ::= SEQUENCE {
 *     keyIdentifier             [0] KeyIdentifier           OPTIONAL,
 *     authorityCertIssuer       [1] GeneralNames            OPTIONAL,
 *     authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL  }
 * ```
 */
export const authorityKeyIdentifier = (keyId: Buffer): Buffer =>
  extension(OID.authorityKeyIdentifier, false, encodeSequence(encodeTlv(contextTag(0, false), keyId)));

/** `GeneralName ::= CHOICE { …, uniformResourceIdentifier [6] IA5String, … }` (IMPLICIT). */
function uriGeneralName(url: string): Buffer {
  if (!/^[\x21-\x7e]+$/.test(url)) throw new Error(`URL is not printable ASCII: ${url}`);
  return encodeTlv(contextTag(6, false), Buffer.from(url, 'latin1'));
}

/**
 * RFC 5280 4.2.1.13, not critical, one DistributionPoint with a fullName URI.
 * ```asn1
 * CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 * DistributionPoint ::= SEQUENCE {
 *      distributionPoint       [0]     DistributionPointName OPTIONAL,
 *      reasons                 [1]     ReasonFlags OPTIONAL,
 *      cRLIssuer               [2]     GeneralNames OPTIONAL }
 * DistributionPointName ::= CHOICE {
 *      fullName                [0]     GeneralNames,
 *      nameRelativeToCRLIssuer [1]     RelativeDistinguishedName }
 * ```
 */
export const crlDistributionPoints = (url: string): Buffer =>
  extension(OID.cRLDistributionPoints, false, encodeSequence(encodeSequence(
    encodeTlv(contextTag(0), encodeTlv(contextTag(0), uriGeneralName(url))),
  )));

/**
 * RFC 5280 4.2.2.1, not critical, one caIssuers access description.
 * ```asn1
 * AuthorityInfoAccessSyntax  ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
 * AccessDescription  ::=  SEQUENCE {
 *         accessMethod          OBJECT IDENTIFIER,
 *         accessLocation        GeneralName  }
 * id-ad-caIssuers OBJECT IDENTIFIER ::= { id-ad 2 }
 * ```
 */
export const authorityInfoAccessCaIssuers = (url: string): Buffer =>
  extension(OID.authorityInfoAccess, false, encodeSequence(encodeSequence(
    OID.caIssuers, uriGeneralName(url),
  )));
