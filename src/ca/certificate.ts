/**
 * Certificates as bytes: assembling the signed certificate, verifying one with node:crypto over
 * its exact TBS bytes, and the sign → assemble → verify step that guards every issuance.
 *
 * ```asn1
 * Certificate  ::=  SEQUENCE  {
 *      tbsCertificate       TBSCertificate,
 *      signatureAlgorithm   AlgorithmIdentifier,
 *      signatureValue       BIT STRING  }
 * ```
 */
import * as crypto from 'node:crypto';
import type { Signer } from '../keystore/keystore';
import { Der, DerError, TAG, bitStringBytes, childrenOf, encodeBitString, encodeSequence, expectTag, parseDer } from '../der';
import { readSignatureAlgorithm, verifySignature } from './signature-algorithm';

/** The three parts of a Certificate; `tbs` and `signatureAlgorithm` are exact byte views. */
export interface CertificateParts {
  tbs: Der;
  signatureAlgorithm: Der;
  signature: Buffer;
}

/** Splits a DER Certificate, strictly (no trailing bytes). Throws `DerError`. */
export function splitCertificate(der: Buffer): CertificateParts {
  const cert = parseDer(der, TAG.SEQUENCE, 'certificate DER');
  const [tbs, signatureAlgorithm, signatureValue, ...rest] = childrenOf(cert);
  if (!signatureValue || rest.length) throw new DerError('Certificate must have 3 elements');
  expectTag(tbs, TAG.SEQUENCE, 'tbsCertificate');
  expectTag(signatureAlgorithm, TAG.SEQUENCE, 'signatureAlgorithm');
  return { tbs, signatureAlgorithm, signature: bitStringBytes(signatureValue, 'signatureValue') };
}

/** The DER Certificate for a signed TBS. */
export function assembleCertificate(tbsDer: Buffer, sigAlgDer: Buffer, signature: Buffer): Buffer {
  return encodeSequence(tbsDer, sigAlgDer, encodeBitString(signature));
}

/**
 * True when `certDer`'s signature verifies under `publicKey`, its outer signatureAlgorithm
 * equals the TBS's `signature` field (RFC 5280 4.1.1.2), and the algorithm is one we accept.
 * Malformed input is `false`, not an exception.
 */
export function verifyCertificate(certDer: Buffer, publicKey: crypto.KeyObject): boolean {
  try {
    const { tbs, signatureAlgorithm, signature } = splitCertificate(certDer);
    const inner = childrenOf(tbs)[2];
    if (!inner || !inner.raw.equals(signatureAlgorithm.raw)) return false;
    const alg = readSignatureAlgorithm(signatureAlgorithm);
    return alg.kind === 'ok' && verifySignature(alg.spec, publicKey, tbs.raw, signature);
  } catch (err) {
    if (err instanceof DerError) return false;
    throw err;
  }
}

const signerKeys = new WeakMap<Signer, crypto.KeyObject>();

function publicKeyOf(signer: Signer): crypto.KeyObject {
  let key = signerKeys.get(signer);
  if (!key) {
    key = crypto.createPublicKey({ key: signer.spki, format: 'der', type: 'spki' });
    signerKeys.set(signer, key);
  }
  return key;
}

/**
 * Signs `tbsDer` with the HSM key, assembles the certificate and verifies it against the
 * signer's public key before returning it (contract: a mismatch is a 500 and nothing is
 * returned). `sigAlgDer` must be the AlgorithmIdentifier inside `tbsDer`.
 */
export async function signCertificate(tbsDer: Buffer, sigAlgDer: Buffer, signer: Signer): Promise<Buffer> {
  const signature = await signer.sign(tbsDer);
  const der = assembleCertificate(tbsDer, sigAlgDer, signature);
  if (!verifyCertificate(der, publicKeyOf(signer))) {
    throw new Error(`certificate signed by ${signer.uri} does not verify against its public key`);
  }
  return der;
}
