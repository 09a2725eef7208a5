import { checkCsr } from '../ca/csr';
import { base64ToPem } from '../ca/pem';
import type { ServiceDeps } from './deps';
import { signChild, usableIssuer, type IssuanceNote, type Requester } from './issue-child';

export interface SignIntermediateInput extends Requester {
  caId: string;
  csr: string;
  notBefore?: Date;
  notAfter: Date;
  maxPathLength: number;
}

/** The 200 body, keys in the contract's order. */
export interface SignIntermediateResult {
  certificate: string;
  certificateChain: string;
  issuingCaCertificate: string;
  serialNumber: string;
}

/**
 * Signs an intermediate CA certificate for a CSR with the CA's HSM key. Checks run in the
 * contract's order (rows 5–9 here, 10–13 on the CSR, 14–20 in `signChild`); the certificate is
 * committed before this resolves, so the caller's 200 always names a certificate on disk.
 */
export async function signIntermediate(
  deps: ServiceDeps, input: SignIntermediateInput, note: IssuanceNote = {},
): Promise<SignIntermediateResult> {
  const now = deps.now();
  const parent = await usableIssuer(deps, input.caId, input.identity, now);
  note.caId = parent.ca.id;
  const csr = checkCsr(input.csr);
  const { derBase64, serialNumber } = await signChild(deps, parent, {
    subjectDer: csr.subjectDer, spkiDer: csr.spkiDer, subjectText: csr.subjectText,
    notBefore: input.notBefore, notAfter: input.notAfter, maxPathLength: input.maxPathLength,
  }, input, now, note);
  return {
    certificate: base64ToPem(derBase64, 'CERTIFICATE'),
    certificateChain: parent.active.childChainPem,
    issuingCaCertificate: parent.active.certPem,
    serialNumber,
  };
}
