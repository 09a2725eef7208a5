/**
 * The health check signs with a small EC key of its own, kept in the token under a fixed label
 * and made on first use, so probing readiness never touches a CA key.
 */
import { randomBytes, verify } from 'node:crypto';
import { AppError, hsmUnavailable } from '../../errors';
import type { KeyStore, Signer } from '../keystore';
import { openOrCreateOwnKey } from '../own-key';

export const HEALTH_KEY_LABEL = 'hsmca-health';

export const openHealthSigner = (keyStore: KeyStore): Promise<Signer> =>
  openOrCreateOwnKey(keyStore, HEALTH_KEY_LABEL, 'ecdsa-with-SHA256');

/** Signs fresh random bytes and verifies the result; any failure is HsmUnavailable. */
export async function checkSignature(signer: Signer): Promise<void> {
  const data = randomBytes(32);
  let ok: boolean;
  try {
    const signature = await signer.sign(data);
    ok = verify('sha256', data, { key: signer.spki, format: 'der', type: 'spki', dsaEncoding: 'der' }, signature);
  } catch (err) {
    throw err instanceof AppError && err.kind === 'HsmUnavailable' ? err : hsmUnavailable(err, 'HSM health signature failed');
  }
  if (!ok) throw hsmUnavailable(undefined, 'HSM health signature does not verify');
}
