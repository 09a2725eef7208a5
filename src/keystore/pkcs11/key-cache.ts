/**
 * Key handles per URI, so a signature costs no object search. Handles are re-found after the
 * token's sessions were re-established (a restarted HSM may number its objects differently).
 */
import { hsmUnavailable } from '../../errors';
import { findKey, type FoundKey, type KeyRef } from './key-lookup';
import type { Token } from './token';

const cacheKey = (ref: KeyRef): string => JSON.stringify([ref.object ?? null, ref.id?.toString('hex') ?? null]);

export class KeyCache {
  private readonly entries = new Map<string, { generation: number; key: FoundKey }>();

  constructor(private readonly token: Token) {}

  /** Synchronous, on the login session: call it inside `token.run` or `token.lookup`. */
  get(ref: KeyRef): FoundKey {
    const k = cacheKey(ref);
    const hit = this.entries.get(k);
    if (hit?.generation === this.token.generation) return hit.key;
    const key = findKey(this.token.session, this.token.label, ref);
    // A signer already handed out promised this public key; never sign with a different one.
    if (hit && !hit.key.spki.equals(key.spki)) {
      throw hsmUnavailable(undefined, 'the key behind a PKCS#11 URI changed after the token was re-opened');
    }
    this.entries.set(k, { generation: this.token.generation, key });
    return key;
  }
}
