/**
 * Certificate revocation lists (RFC 5280 5), written with the DER helpers and signed in the
 * token like certificates.
 *
 * ```asn1
 * CertificateList  ::=  SEQUENCE  {
 *      tbsCertList          TBSCertList,
 *      signatureAlgorithm   AlgorithmIdentifier,
 *      signatureValue       BIT STRING  }
 * TBSCertList  ::=  SEQUENCE  {
 *      version                 Version OPTIONAL,  -- if present, MUST be v2
 *      signature               AlgorithmIdentifier,
 *      issuer                  Name,
 *      thisUpdate              Time,
 *      nextUpdate              Time OPTIONAL,
 *      revokedCertificates     SEQUENCE OF SEQUENCE  {
 *           userCertificate         CertificateSerialNumber,
 *           revocationDate          Time,
 *           crlEntryExtensions      Extensions OPTIONAL  -- if present, version MUST be v2
 *                                }  OPTIONAL,
 *      crlExtensions           [0]  EXPLICIT Extensions OPTIONAL  }
 * CRLNumber ::= INTEGER (0..MAX)                                     -- 2.5.29.20
 * CRLReason ::= ENUMERATED { unspecified (0), keyCompromise (1), cACompromise (2),
 *      affiliationChanged (3), superseded (4), cessationOfOperation (5), certificateHold (6),
 *      removeFromCRL (8), privilegeWithdrawn (9), aACompromise (10) }  -- 2.5.29.21
 * ```
 */
import type { Signer } from '../keystore/keystore';
import { TAG, contextTag, encodeBitString, encodeOid, encodeSequence, encodeTlv, encodeUnsignedInteger } from '../der';
import { authorityKeyIdentifier } from './extensions';
import { timeDer } from './validity';

/** Infisical's revocation reasons and their CRLReason codes. */
export const REVOCATION_REASONS = {
  UNSPECIFIED: 0,
  KEY_COMPROMISE: 1,
  CA_COMPROMISE: 2,
  AFFILIATION_CHANGED: 3,
  SUPERSEDED: 4,
  CESSATION_OF_OPERATION: 5,
  CERTIFICATE_HOLD: 6,
  PRIVILEGE_WITHDRAWN: 9,
  A_A_COMPROMISE: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export interface RevokedEntry {
  /** Lowercase hex, as recorded. */
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlInput {
  issuerDer: Buffer;
  /** The issuer's key identifier: the CRL's AKI. */
  issuerKeyId: Buffer;
  sigAlgDer: Buffer;
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: RevokedEntry[];
}

const V2 = Buffer.from([TAG.INTEGER, 0x01, 0x01]);
const OID_CRL_NUMBER = encodeOid('2.5.29.20');
const OID_REASON_CODE = encodeOid('2.5.29.21');

const integer = (n: number): Buffer => {
  const hex = n.toString(16);
  return encodeUnsignedInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
};

/** RFC 5280 5.3.1: reasonCode unspecified SHOULD be absent rather than 0. */
function entry(e: RevokedEntry): Buffer {
  const parts = [encodeUnsignedInteger(Buffer.from(e.serial, 'hex')), timeDer(e.revokedAt)];
  const code = REVOCATION_REASONS[e.reason];
  if (code !== 0) {
    const reason = encodeSequence(OID_REASON_CODE, encodeTlv(TAG.OCTET_STRING, encodeTlv(0x0a, Buffer.from([code]))));
    parts.push(encodeSequence(reason));
  }
  return encodeSequence(...parts);
}

/** The TBSCertList DER: v2, AKI and CRL number extensions, entries in serial order. */
export function buildCrlTbs(input: CrlInput): Buffer {
  const parts = [V2, input.sigAlgDer, input.issuerDer, timeDer(input.thisUpdate), timeDer(input.nextUpdate)];
  const entries = [...input.revoked].sort((a, b) => a.serial.localeCompare(b.serial));
  if (entries.length) parts.push(encodeSequence(...entries.map(entry)));
  const crlNumber = encodeSequence(OID_CRL_NUMBER, encodeTlv(TAG.OCTET_STRING, integer(input.number)));
  parts.push(encodeTlv(contextTag(0), encodeSequence(authorityKeyIdentifier(input.issuerKeyId), crlNumber)));
  return encodeSequence(...parts);
}

/** Signs the TBSCertList with the CA's HSM key and assembles the CertificateList DER. */
export async function signCrl(input: CrlInput, signer: Signer): Promise<Buffer> {
  const tbs = buildCrlTbs(input);
  return encodeSequence(tbs, input.sigAlgDer, encodeBitString(await signer.sign(tbs)));
}
