/**
 * Builds the PKCS#10 request a CA sends to an external parent (RFC 2986), signed in the token.
 * It asks for the CA profile: basicConstraints critical cA TRUE [pathLen], keyUsage critical
 * keyCertSign+cRLSign+digitalSignature, and the SKI, through the PKCS#9 extensionRequest.
 *
 * ```asn1
 * CertificationRequestInfo ::= SEQUENCE {
 *      version       INTEGER { v1(0) } (v1,...),
 *      subject       Name,
 *      subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
 *      attributes    [0] Attributes{{ CRIAttributes }} }
 * Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET SIZE(1..MAX) OF AttributeValue }
 * CertificationRequest ::= SEQUENCE {
 *      certificationRequestInfo CertificationRequestInfo,
 *      signatureAlgorithm       AlgorithmIdentifier{{ SignatureAlgorithms }},
 *      signature                BIT STRING }
 * extensionRequest ATTRIBUTE ::= { WITH SYNTAX ExtensionRequest ID pkcs-9-at-extensionRequest }
 * ExtensionRequest ::= Extensions   -- RFC 2985 5.4.2
 * ```
 */
import type { Signer } from '../keystore/keystore';
import { TAG, contextTag, encodeBitString, encodeOid, encodeSequence, encodeTlv } from '../der';
import { KEY_USAGE_CA, basicConstraintsCa, keyIdentifierOf, subjectKeyIdentifier } from './extensions';

const EXTENSION_REQUEST = encodeOid('1.2.840.113549.1.9.14');
const VERSION_1 = Buffer.from([TAG.INTEGER, 0x01, 0x00]);

export interface CaCsrInput {
  subjectDer: Buffer;
  spkiDer: Buffer;
  /** Requested pathLen; undefined asks for none. */
  pathLen?: number;
  sigAlgDer: Buffer;
}

/** The CertificationRequestInfo DER: what the token signs. */
export function buildCaCsrInfo(input: CaCsrInput): Buffer {
  const extensions = encodeSequence(
    basicConstraintsCa(input.pathLen),
    KEY_USAGE_CA,
    subjectKeyIdentifier(keyIdentifierOf(input.spkiDer)),
  );
  const attribute = encodeSequence(EXTENSION_REQUEST, encodeTlv(TAG.SET, extensions));
  return encodeSequence(VERSION_1, input.subjectDer, input.spkiDer, encodeTlv(contextTag(0), attribute));
}

/** Signs the request info with the CA's HSM key and assembles the CSR DER. */
export async function signCaCsr(input: CaCsrInput, signer: Signer): Promise<Buffer> {
  const info = buildCaCsrInfo(input);
  const signature = await signer.sign(info);
  return encodeSequence(info, input.sigAlgDer, encodeBitString(signature));
}
