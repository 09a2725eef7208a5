import { REVOCATION_REASONS, type RevocationReason } from '../ca/crl';
import { toPem } from '../ca/pem';
import { authorize } from '../auth/permissions';
import type { Identity } from '../auth/identity';
import { badRequest, notFound } from '../errors';
import type { CertificateRow } from '../store';
import type { ServiceDeps } from './deps';
import type { IssuanceNote } from './issue-child';
import { requireCa } from './ca-access';
import { issueCrl } from './crl';

/** An issued certificate as the API shows it. */
export const certificateView = (c: CertificateRow) => ({
  id: c.id,
  caId: c.ca_id,
  serialNumber: c.serial,
  status: c.revoked_at ? 'revoked' : 'active',
  subject: c.subject,
  notBefore: c.not_before,
  notAfter: c.not_after,
  revokedAt: c.revoked_at,
  revocationReason: c.revocation_reason,
  fingerprintSha256: c.sha256,
  issuedBy: c.identity,
  createdAt: c.created_at,
  certificate: toPem(Buffer.from(c.der, 'base64'), 'CERTIFICATE'),
});

/** By id or by the serial number sign-intermediate returned; 404 when neither matches. */
async function findCertificate(deps: ServiceDeps, id: string): Promise<CertificateRow> {
  const rows = await deps.store.findCertificates(id);
  if (rows.length === 0) throw notFound(`Certificate with ID '${id}' not found`);
  if (rows.length > 1) throw badRequest(`Serial number '${id}' is used by several issuers: use the certificate id`);
  return rows[0];
}

/** The issuing CA by id for permissions; a deleted CA still has its id in grants and `*`. */
const caFor = async (deps: ServiceDeps, c: CertificateRow) =>
  (await deps.store.getCa(c.ca_id)) ?? { id: c.ca_id, name: '' };

export async function getCertificate(deps: ServiceDeps, id: string, identity: Identity) {
  const c = await findCertificate(deps, id);
  authorize(identity, 'read', await caFor(deps, c));
  return { certificate: certificateView(c) };
}

export async function listIssuedCertificates(
  deps: ServiceDeps, caId: string, page: { offset: number; limit: number }, identity: Identity,
) {
  const ca = await requireCa(deps, caId, identity, 'read');
  const [rows, totalCount] = await Promise.all([deps.store.listCertificates(ca.id, page), deps.store.countCertificates(ca.id)]);
  return { certificates: rows.map(certificateView), totalCount };
}

/**
 * Revokes a certificate the daemon issued and re-signs its CA's CRL at once, so the next
 * fetch of the CRL URL already lists it. Revoking twice is a 400. If the HSM is down the
 * revocation stands (503 for the CRL) and the refresher signs the CRL when the token is back.
 */
export async function revokeCertificate(
  deps: ServiceDeps, id: string, reason: RevocationReason, identity: Identity, note: IssuanceNote = {},
) {
  if (!(reason in REVOCATION_REASONS)) throw badRequest(`Unknown revocation reason '${reason}'`);
  const c = await findCertificate(deps, id);
  note.caId = c.ca_id;
  note.serial = c.serial;
  const ca = await caFor(deps, c);
  authorize(identity, 'revoke', ca);
  const revokedAt = new Date(Math.floor(deps.now().getTime() / 1000) * 1000).toISOString();
  if (!(await deps.store.revokeCertificate(c.id, revokedAt, reason))) throw badRequest('Certificate is already revoked');
  if ('active_ca_cert_id' in ca && ca.active_ca_cert_id) await issueCrl(deps, ca);
  return { message: 'Successfully revoked certificate', serialNumber: c.serial, revokedAt };
}
