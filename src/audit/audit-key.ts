/**
 * The audit key: a P-256 key pair made inside the HSM on first use, under its own label, used
 * for nothing but checkpoint signatures. Its private half never leaves the token, so whoever
 * can write to the database still cannot sign a checkpoint.
 */
import type { KeyStore, Signer } from '../keystore/keystore';
import { openOrCreateOwnKey } from '../keystore/own-key';

export const DEFAULT_AUDIT_KEY_LABEL = 'hsmca-audit';

/** Opens the audit key, generating it when the token has none. */
export const openAuditSigner = (keyStore: KeyStore, label: string): Promise<Signer> =>
  openOrCreateOwnKey(keyStore, label, 'ecdsa-with-SHA256');

/** The public keys checkpoints may be signed with: every key in the token under the label. */
export async function auditPublicKeys(keyStore: KeyStore, label: string): Promise<Buffer[]> {
  return (await keyStore.findKeys(label)).map((k) => k.spki);
}
