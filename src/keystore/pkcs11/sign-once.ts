/**
 * One C_SignInit + C_Sign on a leased session, with C_Sign on the libuv thread pool so a slow
 * RSA-4096 signature never blocks the event loop.
 *
 * graphene's `Sign#once(data, cb)` copies `data` into a temporary that nothing references once
 * it returns, while pkcs11js' worker reads it from another thread by raw pointer: a GC in
 * between would free it under C_Sign. So `Sign` is constructed only for C_SignInit, and C_Sign
 * is called on the library with input and output buffers held by the callback's closure.
 */
import * as graphene from 'graphene-pk11';

/** Large enough for RSA-8192 and every EC or EdDSA signature. */
const MAX_SIGNATURE = 1024;

/** Buffers of C_Sign calls in flight on worker threads, kept reachable until their callback. */
const inFlight = new Set<{ data: Buffer; output: Buffer }>();

export function signOnce(
  session: graphene.Session, mechanism: graphene.IAlgorithm, key: graphene.Key, data: Buffer,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // C_SignInit runs here, synchronously; it throws on a bad key, mechanism or session.
    new graphene.Sign(session, mechanism, key, session.lib);
    // From Node's buffer pool (no zero-filled native allocation per signature): the token writes
    // the signature at its start and only that part is copied out.
    const output = Buffer.allocUnsafe(MAX_SIGNATURE);
    const pinned = { data, output };
    inFlight.add(pinned);
    try {
      session.lib.C_Sign(session.handle, data, output, (err, signature) => {
        inFlight.delete(pinned);
        if (err) reject(err);
        else resolve(Buffer.from(signature));
      });
    } catch (err) {
      inFlight.delete(pinned);
      throw err;
    }
  });
}
