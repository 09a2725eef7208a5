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

export interface IdentityRow {
  id: string;
  name: string;
  /** JSON array of `{action, ca}` grants, in the order they were given. */
  grants: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** A client-certificate subject DN or SAN that authenticates as an identity (mTLS). */
export interface IdentityClientCertRow {
  identity_id: string;
  kind: 'subject' | 'san';
  value: string;
}

export interface TokenRow {
  id: string;
  identity_id: string;
  /** A label for the token (defaults to the identity's name). */
  name: string;
  /** HMAC-SHA256 of the secret under the server's pepper (hex); `sha256` for tokens from before 003. */
  hash: string;
  hash_scheme: 'hmac-sha256' | 'sha256';
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export type AuditOutcome = 'issued' | 'denied' | 'rejected' | 'failed';

/** One link of the audit hash chain; `hash` covers every other column (see audit/canonical.ts). */
export interface AuditEventRow {
  seq: number;
  prev_hash: string;
  hash: string;
  time: string;
  req_id: string;
  identity: string | null;
  /** `token:<id>` or `cert:<sha256 of the client certificate>`: which credential was used. */
  credential: string | null;
  action: string;
  ca_id: string | null;
  /** What an identity-management request acted on, e.g. `identity:<id>`, `token:<id>`. */
  target: string | null;
  outcome: AuditOutcome;
  status: number;
  serial: string | null;
  csr_sha256: string | null;
  client: string | null;
}

/** A signed statement "the chain's head was event `event_seq` with hash `head_hash`". */
export interface AuditCheckpointRow {
  id: Generated<number>;
  event_seq: number;
  head_hash: string;
  time: string;
  key_id: string;
  algorithm: string;
  /** base64 of the signature over `checkpointPayload(...)`. */
  signature: string;
}

/** One row: bumped by triggers on every write to cas, identities, identity_client_certs, tokens. */
export interface LookupEpochRow {
  id: number;
  n: number;
}

export interface Database {
  cas: CaRow;
  ca_certificates: CaCertificateRow;
  certificates: CertificateRow;
  identities: IdentityRow;
  identity_client_certs: IdentityClientCertRow;
  tokens: TokenRow;
  audit_events: AuditEventRow;
  crls: CrlRow;
  audit_checkpoints: AuditCheckpointRow;
  lookup_epoch: LookupEpochRow;
}
