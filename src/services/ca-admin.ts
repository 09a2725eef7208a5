
import { toPem } from '../ca/pem';
import type { Identity } from '../auth/identity';
import { authorize } from '../auth/permissions';
import { badRequest, notFound } from '../errors';
import type { CaCertificateRow } from '../store';
import type { ServiceDeps } from './deps';
import { requireCa } from './ca-access';
import { caView } from './ca-view';

/** Lists the CAs `identity` may read (a grant on one CA shows that CA only). */
export async function listCas(deps: ServiceDeps, identity: Identity): Promise<Record<string, unknown>[]> {
  const visible = (await deps.store.listCas()).filter((ca) => {
    try {
      authorize(identity, 'read', ca);
      return true;
    } catch {
      return false;
    }
  });
  return visible.map(caView);
}

export async function getCa(deps: ServiceDeps, caId: string, identity: Identity): Promise<Record<string, unknown>> {
  return caView(await requireCa(deps, caId, identity, 'read'));
}

/** `PATCH /{caId}`: rename, disable or re-enable. A pending CA becomes active only by getting a certificate. */
export async function updateCa(
  deps: ServiceDeps, caId: string, patch: { name?: string; status?: 'active' | 'disabled' }, identity: Identity,
): Promise<Record<string, unknown>> {
  const ca = await requireCa(deps, caId, identity, 'update');
  const next = { ...ca, updated_at: deps.now().toISOString() };
  if (patch.name !== undefined && patch.name !== ca.name) {
    if (!patch.name.trim()) throw badRequest('CA name must not be empty');
    if (await deps.store.getCaByName(patch.name)) throw badRequest(`A CA named '${patch.name}' already exists`);
    next.name = patch.name;
  }
  if (patch.status !== undefined) {
    if (patch.status === 'active' && !ca.active_ca_cert_id) throw badRequest('CA does not have a certificate installed');
    next.status = patch.status;
  }
  await deps.store.updateCa(ca.id, { name: next.name, status: next.status, updated_at: next.updated_at });
  return caView(next);
}

/** `DELETE /{caId}`: removes the CA record. The key stays in the HSM; what it issued stays on record. */
export async function deleteCa(deps: ServiceDeps, caId: string, identity: Identity): Promise<Record<string, unknown>> {
  const ca = await requireCa(deps, caId, identity, 'delete');
  await deps.store.deleteCa(ca.id);
  return caView(ca);
}

const versionView = (row: CaCertificateRow) => ({
  id: row.id,
  version: row.version,
  certificate: toPem(Buffer.from(row.der, 'base64'), 'CERTIFICATE'),
  certificateChain: row.chain_pem,
  serialNumber: row.serial,
  notBefore: row.not_before,
  notAfter: row.not_after,
});

/** `GET /{caId}/certificate`: the active certificate and the chain above it. */
export async function getCaCertificate(
  deps: ServiceDeps, caId: string, identity: Identity,
): Promise<{ certificate: string; certificateChain: string; serialNumber: string }> {
  const ca = await requireCa(deps, caId, identity, 'read');
  const row = ca.active_ca_cert_id ? await deps.store.getCaCertificate(ca.active_ca_cert_id) : undefined;
  if (!row) throw badRequest('CA does not have a certificate installed');
  const { certificate, certificateChain, serialNumber } = versionView(row);
  return { certificate, certificateChain, serialNumber };
}

/** `GET /{caId}/ca-certificates`: every version, oldest first. */
export async function listCaCertificates(deps: ServiceDeps, caId: string, identity: Identity) {
  const ca = await requireCa(deps, caId, identity, 'read');
  return (await deps.store.listCaCertificates(ca.id)).map(versionView);
}

/** The DER behind an AIA caIssuers URL: public by design, so no identity. */
export async function caCertificateDer(deps: ServiceDeps, caId: string, caCertId: string): Promise<Buffer> {
  const row = await deps.store.getCaCertificate(caCertId);
  if (!row || row.ca_id !== caId) throw notFound(`CA certificate '${caCertId}' not found`);
  const der = Buffer.from(row.der, 'base64');
  return der;
}
