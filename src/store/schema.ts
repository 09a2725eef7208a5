/**
 * Row shapes of the database, as kysely sees them. Portable column types only (text, integer),
 * so the same migrations run on SQLite and PostgreSQL: DER is stored base64, times as ISO 8601
 * UTC strings (which sort correctly as text).
 */
import type { Generated } from 'kysely';

export type CaStatus = 'active' | 'disabled' | 'pending-certificate';
export type CaType = 'root' | 'intermediate';

export interface CaRow {
  id: string;
  name: string;
  status: CaStatus;
  type: CaType;
  key_algorithm: string;
  key_ref: string;
  /** JSON of the CA's configuration as the API reports it (commonName, organization, …). */
  configuration: string;
  parent_ca_id: string | null;
  active_ca_cert_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface CaCertificateRow {
  id: string;
  ca_id: string;
  version: number;
  serial: string;
  der: string;
  /** PEM of the issuers above this certificate, nearest first, LF-joined ('' for a root). */
  chain_pem: string;
  not_before: string;
  not_after: string;
  created_at: string;
}

export interface CertificateRow {
  id: string;
  ca_id: string;
  serial: string;
  kind: 'intermediate';
  subject: string;
  not_before: string;
  not_after: string;
  der: string;
  sha256: string;
  identity: string;
  req_id: string;
  created_at: string;
  revoked_at: string | null;
  /** One of Infisical's revocation reasons (REVOCATION_REASONS). */
  revocation_reason: string | null;
}

export interface CrlRow {
  id: string;
  ca_id: string;
  /** The CRL number: grows by one per CA, never reused. */
  number: number;
  this_update: string;
  next_update: string;
  der: string;
}

export interface TokenRow {
  id: string;
  name: string;
  hash: string;
  /** JSON array of `{action, ca}` grants. */
  grants: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface AuditEventRow {
  seq: Generated<number>;
  time: string;
  req_id: string;
  identity: string | null;
  action: string;
  ca_id: string | null;
  outcome: 'issued' | 'denied' | 'rejected' | 'failed';
  status: number;
  serial: string | null;
  csr_sha256: string | null;
  client: string | null;
}

export interface Database {
  cas: CaRow;
  ca_certificates: CaCertificateRow;
  certificates: CertificateRow;
  tokens: TokenRow;
  audit_events: AuditEventRow;
  crls: CrlRow;
}
