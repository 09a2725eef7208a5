/**
 * Loaded CSR public keys by their exact SPKI bytes. Loading a key into node:crypto costs more
 * than verifying with it (P-256: ~70 µs through JWK, ~150 µs through DER, against ~65 µs for a
 * verify), and the same requester key comes back (renewals, retries, automation). Only the
 * parse is remembered: every CSR's signature is still verified, every time.
 */
import type { Der } from '../der';
import { inspectPublicKey, type PublicKeyInfo } from './public-key';

const MAX_KEYS = 1024;
const cache = new Map<string, PublicKeyInfo>();

/** `inspectPublicKey`, memoised (LRU) on the SPKI's DER; malformed keys are not remembered. */
export function inspectPublicKeyCached(spki: Der): PublicKeyInfo {
  const key = spki.raw.toString('latin1');
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // most recently used goes to the end
    cache.set(key, hit);
    return hit;
  }
  const info = inspectPublicKey(spki);
  if (cache.size >= MAX_KEYS) cache.delete(cache.keys().next().value as string);
  cache.set(key, info);
  return info;
}
