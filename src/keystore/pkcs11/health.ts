/**
 * The health check signs with a small EC key of its own, kept in the token under a fixed label
 * and made on first use, so probing readiness never touches a CA key.
 */
import { randomBytes, verify } from 'node:crypto';
import * as graphene from 'graphene-pk11';
import { AppError, hsmUnavailable } from '../../errors';
import type { KeyStore, Signer } from '../keystore';
import type { Token } from './token';
import { formatPkcs11Uri } from './uri';

export const HEALTH_KEY_LABEL = 'hsmca-health';

/**
 * URI of the health key, by id. Two processes starting together may both have made one; any of
 * them will do, so take the first rather than fail on the ambiguous label.
 */
async function findHealthKey(token: Token): Promise<string | undefined> {
  const id = await token.lookup('health key lookup', (session) => {
    const found = session.find({ class: graphene.ObjectClass.PRIVATE_KEY, label: HEALTH_KEY_LABEL });
    return found.length > 0 ? (found.items(0).getAttribute('id') as Buffer) : undefined;
  });
  return id && formatPkcs11Uri({ token: token.label, object: HEALTH_KEY_LABEL, id });
}

export async function openHealthSigner(token: Token, keyStore: KeyStore): Promise<Signer> {
  const uri = (await findHealthKey(token)) ?? (await keyStore.generateKeyPair('EC_prime256v1', HEALTH_KEY_LABEL)).uri;
  return keyStore.openSigner(uri, 'ecdsa-with-SHA256');
}

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
