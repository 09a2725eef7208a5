/**
 * CSPRNG bytes for the request path, drawn from a pool refilled 4 KiB at a time: one
 * `randomFillSync` per ~200 draws instead of one per draw (a native call each). The bytes are
 * handed out once and never reused; a caller that keeps them must copy them (the view is
 * overwritten at the next refill). Cluster workers are new processes, not fork()ed copies, so no
 * two processes ever hold the same pool.
 */
import crypto from 'node:crypto';

const pool = Buffer.alloc(4096);
let at = pool.length;

export function randomFromPool(n: number): Buffer {
  if (n > pool.length) return crypto.randomBytes(n);
  if (at + n > pool.length) {
    crypto.randomFillSync(pool);
    at = 0;
  }
  at += n;
  return pool.subarray(at - n, at);
}
