import type { KeyStore, Signer, SignatureAlgorithm } from './keystore';

/**
 * Opens a P-256 key the daemon keeps for itself under a fixed label (health check, audit
 * checkpoints), generating it in the token on first use. Two processes starting together may
 * each have made one; the first by URI is taken rather than failing on the ambiguous label.
 */
export async function openOrCreateOwnKey(keyStore: KeyStore, label: string, algorithm?: SignatureAlgorithm): Promise<Signer> {
  const uri = (await keyStore.findKeys(label))[0]?.uri ?? (await keyStore.generateKeyInToken('EC_prime256v1', label)).uri;
  return keyStore.openSigner(uri, algorithm);
}
