import type { CaRow } from '../store';

/** How a CA was configured when created; stored as JSON in `cas.configuration`. */
export interface CaConfiguration {
  type: 'root' | 'intermediate';
  commonName: string;
  organization: string;
  ou: string;
  country: string;
  province: string;
  locality: string;
  /** RFC 4514-style string of the subject, for display. */
  dn: string;
  keyAlgorithm: string;
  maxPathLength: number;
  notBefore: string | null;
  notAfter: string | null;
  serialNumber: string | null;
}

/** The CA object in Infisical's shape (less `projectId`), plus our `keyRef`. */
export function caView(ca: CaRow): Record<string, unknown> {
  const conf = JSON.parse(ca.configuration) as CaConfiguration;
  return {
    id: ca.id,
    name: ca.name,
    status: ca.status,
    type: 'internal',
    configuration: { ...conf, parentCaId: ca.parent_ca_id, activeCaCertId: ca.active_ca_cert_id },
    keyRef: ca.key_ref,
    createdAt: ca.created_at,
    updatedAt: ca.updated_at,
  };
}
