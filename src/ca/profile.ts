/**
 * The certificate profile: what a CA certificate we issue contains, as a DER TBSCertificate
 * ready for the signer. The issuer Name, the subject Name and the SPKI are spliced in byte for
 * byte (the contract requires it, and re-encoding could change them); the rest is written with
 * the DER helpers. The unit tests check the output against asn1-x509's `TBSCertificate`.
 *
 * ```asn1
 * TBSCertificate  ::=  SEQUENCE  {
 *      version         [0]  EXPLICIT Version DEFAULT v1,
 *      serialNumber         CertificateSerialNumber,
 *      signature            AlgorithmIdentifier,
 *      issuer               Name,
 *      validity             Validity,
 *      subject              Name,
 *      subjectPublicKeyInfo SubjectPublicKeyInfo,
 *      issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,
 *      subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,
 *      extensions      [3]  EXPLICIT Extensions OPTIONAL }
 * Version  ::=  INTEGER  {  v1(0), v2(1), v3(2)  }
 * Extensions  ::=  SEQUENCE SIZE (1..MAX) OF Extension
 * ```
 */
import { contextTag, encodeSequence, encodeTlv, encodeUnsignedInteger } from '../der';
import {
  KEY_USAGE_CA, authorityInfoAccessCaIssuers, authorityKeyIdentifier, basicConstraintsCa,
  crlDistributionPoints, keyIdentifierOf, subjectKeyIdentifier,
} from './extensions';
import type { IssuerContext } from './issuer';
import { validityDer } from './validity';

const VERSION_V3 = Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]);

interface TbsFields {
  serial: Buffer;
  sigAlgDer: Buffer;
  issuerDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  subjectDer: Buffer;
  spkiDer: Buffer;
  extensions: Buffer[];
}

function tbsCertificate(f: TbsFields): Buffer {
  return encodeSequence(
    VERSION_V3,
    encodeUnsignedInteger(f.serial),
    f.sigAlgDer,
    f.issuerDer,
    validityDer(f.notBefore, f.notAfter),
    f.subjectDer,
    f.spkiDer,
    encodeTlv(contextTag(3), encodeSequence(...f.extensions)),
  );
}

export interface IntermediateTbsInput {
  /** The parent: its subject becomes the issuer, its SKI the AKI, its algorithm the signature. */
  issuer: Pick<IssuerContext, 'subjectDer' | 'ski' | 'sigAlgDer'>;
  /** 20 octets from `randomSerial()`. */
  serial: Buffer;
  /** The CSR's subject Name, DER. */
  subjectDer: Buffer;
  /** The CSR's SubjectPublicKeyInfo, DER. */
  spkiDer: Buffer;
  /** Whole seconds (see `checkValidity`). */
  notBefore: Date;
  notAfter: Date;
  /** From `childPathLength`; undefined = no pathLen, 0 is written. */
  pathLen?: number;
  /** Written as crlDistributionPoints when given. */
  crlUrl?: string;
  /** Written as authorityInfoAccess caIssuers when given. */
  caIssuersUrl?: string;
}

/**
 * The TBSCertificate of an intermediate CA: v3; serial; the issuer's signature algorithm; issuer =
 * parent subject; validity; subject and SPKI from the CSR; extensions in this order:
 * basicConstraints (critical, cA, [pathLen]), keyUsage (critical, digitalSignature keyCertSign
 * cRLSign), subjectKeyIdentifier, authorityKeyIdentifier, [crlDistributionPoints],
 * [authorityInfoAccess]. Nothing from the CSR's extension requests is copied.
 */
export function buildIntermediateTbs(input: IntermediateTbsInput): Buffer {
  const extensions = [
    basicConstraintsCa(input.pathLen),
    KEY_USAGE_CA,
    subjectKeyIdentifier(keyIdentifierOf(input.spkiDer)),
    authorityKeyIdentifier(input.issuer.ski),
  ];
  if (input.crlUrl) extensions.push(crlDistributionPoints(input.crlUrl));
  if (input.caIssuersUrl) extensions.push(authorityInfoAccessCaIssuers(input.caIssuersUrl));
  return tbsCertificate({
    serial: input.serial,
    sigAlgDer: input.issuer.sigAlgDer,
    issuerDer: input.issuer.subjectDer,
    notBefore: input.notBefore,
    notAfter: input.notAfter,
    subjectDer: input.subjectDer,
    spkiDer: input.spkiDer,
    extensions,
  });
}

export interface RootTbsInput {
  subjectDer: Buffer;
  /** The HSM key's SubjectPublicKeyInfo (`Signer.spki`). */
  spkiDer: Buffer;
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
  pathLen?: number;
  /** `algorithmIdentifierDer(signer.signatureAlgorithm)`. */
  sigAlgDer: Buffer;
}

/**
 * The TBSCertificate of a self-signed root: issuer = subject; basicConstraints (critical, cA,
 * [pathLen]), keyUsage (critical, digitalSignature keyCertSign cRLSign), subjectKeyIdentifier.
 * No AKI: RFC 5280 4.2.1.1 lets self-signed certificates omit it.
 */
export function buildRootTbs(input: RootTbsInput): Buffer {
  return tbsCertificate({
    ...input,
    issuerDer: input.subjectDer,
    extensions: [basicConstraintsCa(input.pathLen), KEY_USAGE_CA, subjectKeyIdentifier(keyIdentifierOf(input.spkiDer))],
  });
}
