import crypto from 'node:crypto';
import type { CertificateInfo } from '../ca/certificate-info';
import type { CaRow } from '../store';
import type { CaConfiguration } from './ca-view';
import type { ServiceDeps } from './deps';

/**
 * Makes `cert` the CA's active certificate (a new version; older ones stay listed), with the
 * chain above it, and brings the CA's reported configuration in line with what the certificate
 * actually says. A pending CA becomes active; a disabled one stays disabled.
 */
export async function installCertificate(
  deps: ServiceDeps, ca: CaRow, cert: CertificateInfo, chainPem: string, now: Date,
): Promise<CaRow> {
  const conf = JSON.parse(ca.configuration) as CaConfiguration;
  const configuration: CaConfiguration = {
    ...conf,
    maxPathLength: cert.pathLen ?? -1,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    serialNumber: cert.serialHex,
  };
  const status = ca.status === 'disabled' ? 'disabled' : 'active';
  const patch = { status, configuration: JSON.stringify(configuration), updated_at: now.toISOString() } as const;
  const row = await deps.store.installCaCertificate(ca.id, {
    id: crypto.randomUUID(), serial: cert.serialHex, der: cert.der.toString('base64'), chain_pem: chainPem,
    not_before: cert.notBefore.toISOString(), not_after: cert.notAfter.toISOString(), created_at: now.toISOString(),
  }, patch);
  return { ...ca, ...patch, active_ca_cert_id: row.id };
}
