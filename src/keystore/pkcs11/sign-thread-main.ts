/**
 * The body of a signing thread, started by `SignThreads` from this function's source text (so
 * it runs the same from `dist` and from the TypeScript tests): it must not close over anything,
 * and gets what it needs from `workerData`.
 *
 * The thread loads the process's PKCS#11 module a second time. `dlopen` hands back the library
 * the process already loaded and initialised (the control thread's C_Initialize, made before any
 * signature), so there is no C_Initialize here: sessions,
 * the login and object handles are the process's, usable from any thread (the module was
 * initialised with CKF_OS_LOCKING_OK). Nothing here finalises the module, and the library stays
 * mapped while this thread holds it, whatever the main thread re-initialises.
 */

import type { WireError } from './wire';

/**
 * What a thread is sent: a batch of [id, session, mechanism, key, data]. Ids count up by one per
 * thread (wrapping at 32 bits), in the order the jobs are sent.
 */
export type SignJob = [id: number, session: Uint8Array, mechanism: unknown, key: Uint8Array, data: Uint8Array];
/** What it answers: [id, signature] or [id, undefined, the token's error as wire.ts carries it]. */
export type SignReply = [id: number, signature: Uint8Array | undefined, error?: WireError];

export function signThreadMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const pkcs11js = require(workerData.pkcs11js) as typeof import('pkcs11js');
  const lib = new pkcs11js.PKCS11();
  lib.load(workerData.module);
  // The id of the next job this thread may start. The main thread moves it past the jobs it
  // has taken back (to give them to another thread while this one hangs in the token); a job
  // starts only if it is still the next one, so a job runs on exactly one thread.
  const next = new Int32Array(workerData.next as SharedArrayBuffer);
  // Answers go back in batches, but never held longer than this: an RSA-4096 batch must not
  // keep the first signature waiting for the last. Each answer message is an event-loop turn
  // of the main thread, and the requests it finishes share that turn's database batch: 4 ms
  // against 1 ms measured +1 to +12 % requests/s for RSA-2048 and −1 to +9 % for P-256, side by
  // side (docs/performance.md, eighth session). A lone signature is never held: its batch ends
  // with it.
  const HOLD_MS = 4;
  const output = Buffer.alloc(1024);
  const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  parentPort!.on('message', (jobs: SignJob[]) => {
    let replies: SignReply[] = [];
    let since = performance.now();
    for (const [id, session, mechanism, key, data] of jobs) {
      if (Atomics.compareExchange(next, 0, id, (id + 1) | 0) !== id) continue; // taken back
      try {
        const handle = asBuffer(session);
        lib.C_SignInit(handle, mechanism as import('pkcs11js').Mechanism, asBuffer(key));
        replies.push([id, Uint8Array.from(lib.C_Sign(handle, asBuffer(data), output))]);
      } catch (e) {
        const err = e as { message?: unknown; code?: unknown };
        replies.push([id, undefined, { message: String(err.message), code: typeof err.code === 'number' ? err.code : undefined }]);
      }
      const now = performance.now();
      if (now - since >= HOLD_MS) {
        parentPort!.postMessage(replies);
        replies = [];
        since = now;
      }
    }
    if (replies.length > 0) parentPort!.postMessage(replies);
  });
}
