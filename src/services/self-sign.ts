import { signCertificate } from '../ca/certificate';
import { parseCertificateInfo, type CertificateInfo } from '../ca/certificate-info';
import { buildRootTbs } from '../ca/profile';
import { randomSerial } from '../ca/serial';
import { algorithmIdentifierDer } from '../ca/signature-algorithm';
import { truncateToSeconds } from '../ca/validity';
import { badRequest } from '../errors';
import type { Signer } from '../keystore/keystore';

export interface SelfSignInput {
  subjectDer: Buffer;
  notBefore?: Date;
  notAfter: Date;
  /** -1: no pathLen; n ≥ 0: pathLen n (0 kept). */
  maxPathLength: number;
}

/**
 * A root certificate signed by its own key in the token: basicConstraints critical CA:TRUE
 * [pathLen], keyUsage critical keyCertSign+cRLSign+digitalSignature, SKI.
 */
export async function selfSign(signer: Signer, input: SelfSignInput, now: Date): Promise<CertificateInfo> {
  if (!Number.isInteger(input.maxPathLength) || input.maxPathLength < -1) {
    throw badRequest('maxPathLength must be an integer ≥ -1');
  }
  const notBefore = truncateToSeconds(input.notBefore ?? now);
  const notAfter = truncateToSeconds(input.notAfter);
  if (notBefore.getTime() >= notAfter.getTime()) throw badRequest('notBefore date is after notAfter date');
  if (notAfter.getTime() <= now.getTime()) throw badRequest('notAfter date is in the past');
  const sigAlgDer = algorithmIdentifierDer(signer.signatureAlgorithm);
  const tbs = buildRootTbs({
    subjectDer: input.subjectDer, spkiDer: signer.spki, serial: randomSerial(), notBefore, notAfter,
    pathLen: input.maxPathLength >= 0 ? input.maxPathLength : undefined, sigAlgDer,
  });
  return parseCertificateInfo(await signCertificate(tbs, sigAlgDer, signer));
}
