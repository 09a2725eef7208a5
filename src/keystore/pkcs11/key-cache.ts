/**
 * Key handles per URI, so a signature costs no object search. Handles are re-found after the
 * token's sessions were re-established (a restarted HSM may number its objects differently).
 */
import { hsmUnavailable } from '../../errors';
import type { KeyHandles } from './control-ops';
import type { KeyRef } from './key-lookup';
import type { Token } from './token';

/** Each signer asks with the same ref on every signature: its string is made once. */
const keyStrings = new WeakMap<KeyRef, string>();

function cacheKey(ref: KeyRef): string {
  let key = keyStrings.get(ref);
  if (key === undefined) {
    key = JSON.stringify([ref.object ?? null, ref.id?.toString('hex') ?? null]);
    keyStrings.set(ref, key);
  }
  return key;
}

export class KeyCache {
  private readonly entries = new Map<string, { generation: number; key: KeyHandles }>();

  constructor(private readonly token: Token) {}

  /** The handles found since the token was last re-opened, if any. */
  cached(ref: KeyRef): KeyHandles | undefined {
    const hit = this.entries.get(cacheKey(ref));
    return hit?.generation === this.token.generation ? hit.key : undefined;
  }

  /** Cached, or searched for on the login session: call it inside `token.run` or `token.lookup`. */
  async get(ref: KeyRef): Promise<KeyHandles> {
    const cached = this.cached(ref);
    if (cached) return cached;
    const generation = this.token.generation;
    const key = await this.token.call('findKey', [this.token.session, this.token.slot, this.token.label, ref]);
    const k = cacheKey(ref);
    const hit = this.entries.get(k);
    // A signer already handed out promised this public key; never sign with a different one.
    if (hit && !hit.key.spki.equals(key.spki)) {
      throw hsmUnavailable(undefined, 'the key behind a PKCS#11 URI changed after the token was re-opened');
    }
    this.entries.set(k, { generation, key });
    return key;
  }
}
