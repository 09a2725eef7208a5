import { parseCertificateInfo, type CertificateInfo } from '../ca/certificate-info';
import { buildName } from '../ca/name';
import { toPem } from '../ca/pem';
import type { Identity } from '../auth/identity';
import { badRequest } from '../errors';
import type { CaRow } from '../store';
import type { ServiceDeps } from './deps';
import { requireCa } from './ca-access';
import { signChild, usableIssuer, type IssuanceNote } from './issue-child';
import { installCertificate } from './install-certificate';
import { selfSign } from './self-sign';

export interface CaCertificateResult {
  certificate: string;
  certificateChain: string;
  serialNumber: string;
}

interface Validity {
  notBefore?: Date;
  notAfter: Date;
  maxPathLength: number;
}

const result = (cert: CertificateInfo, chainPem: string): CaCertificateResult => ({
  certificate: toPem(cert.der, 'CERTIFICATE'), certificateChain: chainPem, serialNumber: cert.serialHex,
});

/** A root signs itself; an intermediate is signed by its internal parent via `signChild`. */
async function issue(
  deps: ServiceDeps, ca: CaRow, parentCaId: string | undefined, v: Validity, identity: Identity, reqId: string, note: IssuanceNote,
): Promise<CaCertificateResult> {
  const now = deps.now();
  const signer = await deps.keyStore.openSigner(ca.key_ref);
  const subjectDer = await currentSubject(deps, ca);
  if (ca.type === 'root') {
    if (parentCaId) throw badRequest('A root CA has no parent: omit parentCaId');
    const cert = await selfSign(signer, { subjectDer, ...v }, now);
    await installCertificate(deps, ca, cert, '', now);
    return result(cert, '');
  }
  if (!parentCaId) throw badRequest('parentCaId is required for an intermediate CA (or import a certificate)');
  if (parentCaId === ca.id) throw badRequest('A CA cannot be its own parent');
  const parent = await usableIssuer(deps, parentCaId, identity, now);
  const { der } = await signChild(deps, parent, {
    subjectDer, spkiDer: signer.spki, subjectText: JSON.parse(ca.configuration).dn ?? ca.name, ...v,
  }, { identity, reqId }, now, note);
  const cert = parseCertificateInfo(der);
  const chainPem = parent.active.childChainPem;
  await installCertificate(deps, { ...ca }, cert, chainPem, now);
  await deps.store.updateCa(ca.id, { parent_ca_id: parent.ca.id });
  return result(cert, chainPem);
}

/** The subject the CA has: from its active certificate, else from its configuration. */
async function currentSubject(deps: ServiceDeps, ca: CaRow): Promise<Buffer> {
  if (ca.active_ca_cert_id) {
    const row = await deps.store.getCaCertificate(ca.active_ca_cert_id);
    if (row) return parseCertificateInfo(Buffer.from(row.der, 'base64')).subjectDer;
  }
  return buildName(JSON.parse(ca.configuration)).subjectDer;
}

/**
 * `POST /{caId}/certificate`: the first certificate of a pending CA — self-signed for a root,
 * or signed by an internal parent through the same checks, profile and record as
 * sign-intermediate.
 */
export async function issueCaCertificate(
  deps: ServiceDeps, caId: string, body: Validity & { parentCaId?: string }, identity: Identity, reqId: string,
  note: IssuanceNote = {},
): Promise<CaCertificateResult> {
  const ca = await requireCa(deps, caId, identity, 'issue-ca-certificate');
  if (ca.active_ca_cert_id) throw badRequest('CA already has a certificate: renew it instead');
  return issue(deps, ca, body.parentCaId, body, identity, reqId, note);
}

/**
 * `POST /{caId}/renew` with `type: existing`: the same key and subject, a new certificate with
 * the same pathLen (0 stays 0), from the same issuer. A CA whose certificate came from an
 * external parent is renewed by importing the new certificate.
 */
export async function renewCa(
  deps: ServiceDeps, caId: string, body: { notAfter: Date }, identity: Identity, reqId: string, note: IssuanceNote = {},
): Promise<CaCertificateResult> {
  const ca = await requireCa(deps, caId, identity, 'issue-ca-certificate');
  if (!ca.active_ca_cert_id) throw badRequest('CA does not have a certificate installed');
  if (ca.type === 'intermediate' && !ca.parent_ca_id) {
    throw badRequest('CA was signed by an external parent: import its renewed certificate instead');
  }
  const row = await deps.store.getCaCertificate(ca.active_ca_cert_id);
  const current = parseCertificateInfo(Buffer.from(row!.der, 'base64'));
  return issue(deps, ca, ca.parent_ca_id ?? undefined, {
    notAfter: body.notAfter, maxPathLength: current.pathLen ?? -1,
  }, identity, reqId, note);
}
