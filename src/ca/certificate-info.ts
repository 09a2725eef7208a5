/**
 * What the rest of the daemon needs to know about a certificate (a CA's own, an imported one,
 * an issued one), read once, off the request path.
 */
import * as crypto from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, SubjectKeyIdentifier, AuthorityKeyIdentifier } from '@peculiar/asn1-x509';
import { DerError, childrenOf } from '../der';
import { splitCertificate } from './certificate';
import { readName } from './name';
import { serialHex } from './serial';

export interface CertificateInfo {
  readonly der: Buffer;
  /** Lowercase hex, no colons, sign pad dropped. */
  readonly serialHex: string;
  /** Exact DER of the issuer and subject Names. */
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  /** e.g. `O=Acme, CN=Acme Root` (see `NameSummary.text`). */
  readonly subjectText: string;
  /** The first commonName, if any. */
  readonly commonName?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Exact DER of the SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  /** Exact DER of the outer signatureAlgorithm. */
  readonly sigAlgDer: Buffer;
  /** basicConstraints cA. */
  readonly isCa: boolean;
  /** basicConstraints pathLenConstraint; undefined when absent (0 is kept). */
  readonly pathLen?: number;
  readonly ski?: Buffer;
  /** authorityKeyIdentifier keyIdentifier. */
  readonly aki?: Buffer;
  /** SHA-256 of the DER, lowercase hex. */
  readonly sha256: string;
}

type AsnParts = Pick<CertificateInfo, 'notBefore' | 'notAfter' | 'isCa' | 'pathLen' | 'ski' | 'aki'>;

const EXT_BASIC_CONSTRAINTS = '2.5.29.19';
const EXT_SKI = '2.5.29.14';
const EXT_AKI = '2.5.29.35';

/** Reads a DER certificate. Throws `DerError` when it is malformed. */
export function parseCertificateInfo(der: Buffer): CertificateInfo {
  const { tbs, signatureAlgorithm } = splitCertificate(der);
  // version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, …
  const [, serial, , issuer, , subject, spki] = childrenOf(tbs);
  if (!spki) throw new DerError('malformed TBSCertificate');
  let parsed: AsnParts;
  try {
    parsed = readValidityAndExtensions(der);
  } catch (err) {
    throw new DerError(`malformed certificate: ${(err as Error).message}`);
  }
  const name = readName(subject);
  return {
    der,
    serialHex: serialHex(serial.value),
    issuerDer: issuer.raw,
    subjectDer: subject.raw,
    subjectText: name.text,
    commonName: name.commonNames[0],
    spki: spki.raw,
    sigAlgDer: signatureAlgorithm.raw,
    ...parsed,
    sha256: crypto.createHash('sha256').update(der).digest('hex'),
  };
}

/** The parts asn1-x509 reads for us (off the request path, where its cost does not matter). */
function readValidityAndExtensions(der: Buffer): AsnParts {
  const { validity, extensions = [] } = AsnConvert.parse(der, Certificate).tbsCertificate;
  const extension = <T>(oid: string, type: new () => T): T | undefined => {
    const ext = extensions.find((e) => e.extnID === oid);
    return ext ? AsnConvert.parse(ext.extnValue, type) : undefined;
  };
  const bc = extension(EXT_BASIC_CONSTRAINTS, BasicConstraints);
  const ski = extension(EXT_SKI, SubjectKeyIdentifier);
  const aki = extension(EXT_AKI, AuthorityKeyIdentifier)?.keyIdentifier;
  return {
    notBefore: validity.notBefore.getTime(),
    notAfter: validity.notAfter.getTime(),
    isCa: bc?.cA ?? false,
    pathLen: bc?.pathLenConstraint,
    ski: ski ? Buffer.from(ski.buffer) : undefined,
    aki: aki ? Buffer.from(aki.buffer) : undefined,
  };
}
