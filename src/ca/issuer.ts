/**
 * Everything about a CA that signing a child needs, computed once per CA certificate (not per
 * request): the issuer Name bytes, the SKI for the children's AKI, the parent's constraints and
 * validity, the public key that checks every signature, the AlgorithmIdentifier it signs with.
 */
import * as crypto from 'node:crypto';
import type { Signer } from '../keystore/keystore';
import { parseCertificateInfo } from './certificate-info';
import { keyIdentifierOf } from './extensions';
import { algorithmIdentifierDer, keyFamilyOf, verifySpecOf } from './signature-algorithm';

export interface IssuerContext {
  readonly certDer: Buffer;
  /** The CA certificate's subject Name, DER, byte for byte: the children's issuer. */
  readonly subjectDer: Buffer;
  /** The CA certificate's SKI: the children's AKI keyIdentifier. */
  readonly ski: Buffer;
  /** basicConstraints pathLenConstraint; undefined when absent (0 is kept). */
  readonly pathLen: number | undefined;
  readonly isCa: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: crypto.KeyObject;
  /** `algorithmIdentifierDer(signer.signatureAlgorithm)`. */
  readonly sigAlgDer: Buffer;
  readonly signer: Signer;
}

/**
 * Builds the issuer context of a CA from its certificate and HSM signer. Throws a plain `Error`
 * (a server misconfiguration, not a client error) when the certificate's key is not the
 * signer's key or the signature algorithm does not fit the key. A CA certificate without an
 * SKI (old imported roots) gets the RFC 5280 method-1 key identifier as its children's AKI.
 */
export function loadIssuer(certDer: Buffer, signer: Signer): IssuerContext {
  const info = parseCertificateInfo(certDer);
  const publicKey = crypto.createPublicKey({ key: info.spki, format: 'der', type: 'spki' });
  if (!info.spki.equals(signer.spki)) {
    const signerKey = crypto.createPublicKey({ key: signer.spki, format: 'der', type: 'spki' });
    if (!publicKey.equals(signerKey)) {
      throw new Error(`CA certificate public key does not match the HSM key ${signer.uri}`);
    }
  }
  if (verifySpecOf(signer.signatureAlgorithm).family !== keyFamilyOf(publicKey)) {
    throw new Error(`signature algorithm ${signer.signatureAlgorithm} does not fit the ${publicKey.asymmetricKeyType} key ${signer.uri}`);
  }
  return {
    certDer,
    subjectDer: info.subjectDer,
    ski: info.ski ?? keyIdentifierOf(info.spki),
    pathLen: info.pathLen,
    isCa: info.isCa,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    publicKey,
    sigAlgDer: algorithmIdentifierDer(signer.signatureAlgorithm),
    signer,
  };
}
