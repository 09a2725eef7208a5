import crypto from 'node:crypto';
import { signCertificate } from '../ca/certificate';
import { checkCsr } from '../ca/csr';
import { childPathLength } from '../ca/path-length';
import { toPem } from '../ca/pem';
import { buildIntermediateTbs } from '../ca/profile';
import { randomSerial, serialHex } from '../ca/serial';
import { checkValidity } from '../ca/validity';
import { authorize } from '../auth/permissions';
import type { Identity } from '../auth/identity';
import { badRequest, notFound } from '../errors';
import { DuplicateSerialError, type CaRow } from '../store';
import type { ServiceDeps } from './deps';
import type { ActiveIssuer } from './issuer-cache';

export interface SignIntermediateInput {
  caId: string;
  csr: string;
  notBefore?: Date;
  notAfter: Date;
  maxPathLength: number;
  identity: Identity;
  reqId: string;
}

/** The 200 body, keys in the contract's order. */
export interface SignIntermediateResult {
  certificate: string;
  certificateChain: string;
  issuingCaCertificate: string;
  serialNumber: string;
}

/** What the audit trail learns as the request goes (filled in even when it fails part way). */
export interface IssuanceNote {
  caId?: string;
  serial?: string;
}

const SERIAL_ATTEMPTS = 3;

/** Contract rows 5–9: the CA exists, the caller may use it, and it can sign now. */
async function usableIssuer(deps: ServiceDeps, input: SignIntermediateInput, now: Date): Promise<[CaRow, ActiveIssuer]> {
  const ca = await deps.store.getCa(input.caId);
  if (!ca) throw notFound(`CA with ID '${input.caId}' not found`);
  authorize(input.identity, 'sign-intermediate', ca);
  if (ca.status === 'disabled') throw badRequest('CA is disabled');
  if (ca.status !== 'active' || !ca.active_ca_cert_id) throw badRequest('CA does not have a certificate installed');
  const active = await deps.issuers.get(ca);
  if (active.issuer.notAfter.getTime() <= now.getTime()) throw badRequest('CA is expired');
  return [ca, active];
}

/**
 * Signs an intermediate CA certificate for a CSR with the CA's HSM key. Checks run in the
 * contract's order (rows 5–20); the certificate is committed before this resolves, so the
 * caller's 200 always names a certificate that is on disk.
 */
export async function signIntermediate(
  deps: ServiceDeps,
  input: SignIntermediateInput,
  note: IssuanceNote = {},
): Promise<SignIntermediateResult> {
  const now = deps.now();
  const [ca, active] = await usableIssuer(deps, input, now);
  note.caId = ca.id;
  const { issuer } = active;
  const csr = checkCsr(input.csr);
  const pathLen = childPathLength(issuer.pathLen, input.maxPathLength);
  const { notBefore, notAfter } = checkValidity({
    notBefore: input.notBefore, notAfter: input.notAfter,
    parentNotBefore: issuer.notBefore, parentNotAfter: issuer.notAfter, now,
  });
  const urls = deps.publicBaseUrl ? {
    caIssuersUrl: `${deps.publicBaseUrl}/api/v1/cert-manager/ca/internal/${ca.id}/certificates/${active.caCertId}/der`,
  } : {};

  for (let attempt = 1; ; attempt++) {
    const serial = randomSerial();
    const tbs = buildIntermediateTbs({
      issuer, serial, subjectDer: csr.subjectDer, spkiDer: csr.spkiDer, notBefore, notAfter, pathLen, ...urls,
    });
    const der = await signCertificate(tbs, issuer.sigAlgDer, issuer.signer);
    const serialNumber = serialHex(serial);
    try {
      await deps.store.insertCertificate({
        id: crypto.randomUUID(), ca_id: ca.id, serial: serialNumber, kind: 'intermediate',
        subject: csr.subjectText, not_before: notBefore.toISOString(), not_after: notAfter.toISOString(),
        der: der.toString('base64'), sha256: crypto.createHash('sha256').update(der).digest('hex'),
        identity: input.identity.name, req_id: input.reqId, created_at: now.toISOString(),
      });
    } catch (e) {
      // 160 random bits make this all but impossible; the database is the arbiter either way.
      if (e instanceof DuplicateSerialError && attempt < SERIAL_ATTEMPTS) continue;
      throw e;
    }
    note.serial = serialNumber;
    return {
      certificate: toPem(der, 'CERTIFICATE'),
      certificateChain: active.chainPem ? `${active.certPem}\n${active.chainPem}` : active.certPem,
      issuingCaCertificate: active.certPem,
      serialNumber,
    };
  }
}
