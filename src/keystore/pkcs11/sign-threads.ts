/**
 * C_SignInit + C_Sign, both off the event loop, on signing threads of our own.
 *
 * Why not libuv's pool, as pkcs11js offers: there C_SignInit stays on the event loop (for a
 * network HSM a round trip), and every signature wakes a sleeping pool thread and comes back on
 * its own. Measured side by side on the 2-core machine (P-256 CA, 2 workers, docs/performance.md)
 * that hand-off cost more CPU than SoftHSM's signature itself. A signing thread takes the jobs of
 * one event-loop turn in one message, signs them back to back and answers in batches, so a busy
 * daemon pays one hand-off per batch, not per signature.
 *
 * Jobs go to the thread with the fewest in flight (ties to the first), so under load they
 * queue and batch, and with more than one thread slow signatures (RSA-4096, a network HSM's
 * round trip) still run side by side. A thread that died fails its jobs as HsmUnavailable
 * and is started afresh for the next one.
 *
 * A hung C_Sign keeps its thread (nothing can interrupt it), and the jobs already sent to that
 * thread wait behind it: the sign timeout answers their requests. New jobs do not: a thread
 * whose oldest job has waited longer than STALL_MS is stalled and gets none while another is
 * not, and when every thread is stalled, up to MAX_EXTRA more are started.
 */
import { Worker } from 'node:worker_threads';
import type * as pkcs11js from 'pkcs11js';
import { hsmUnavailable } from '../../errors';
import { signThreadMain, type SignJob, type SignReply } from './sign-thread-main';

interface Pending {
  resolve(signature: Buffer): void;
  reject(err: unknown): void;
  /** When the job was given to its thread (performance.now()). */
  at: number;
}

/** Far beyond a batch of slow signatures queued on one thread, far below a sign timeout. */
const STALL_MS = 1_000;
const MAX_EXTRA = 2;

// Under the tests' TypeScript loader (esbuild, keepNames) the function's text calls a `__name`
// helper that lives outside it; defined here, it costs nothing in the built code.
const THREAD_SOURCE = `var __name = (f) => f;\n(${signThreadMain.toString()})();`;

/** An error shaped like pkcs11js' own, so `errors.ts` classifies it by its CKR_ code. */
function tokenError(error: NonNullable<SignReply[2]>): Error {
  return Object.assign(new Error(error.message), { name: 'Pkcs11Error', code: error.code });
}

class SignThread {
  private readonly pending = new Map<number, Pending>();
  private queue: SignJob[] = [];
  private worker: Worker | undefined;

  constructor(private readonly module: string) {}

  /** Signatures given to this thread and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Whether its oldest unanswered job has waited longer than STALL_MS at `now`. */
  stalled(now: number): boolean {
    if (this.pending.size === 0) return false;
    return now - this.pending.values().next().value!.at > STALL_MS;
  }

  submit(job: SignJob, pending: Pending): void {
    this.pending.set(job[0], pending);
    // One message per event-loop turn, however many requests reached their signature in it.
    if (this.queue.push(job) === 1) setImmediate(this.flush);
  }

  terminate(): Promise<unknown> {
    const worker = this.worker;
    this.worker = undefined;
    return worker ? worker.terminate() : Promise.resolve();
  }

  private readonly flush = (): void => {
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    try {
      this.start().postMessage(jobs);
    } catch (err) {
      // No thread could be started (out of memory, threads): these fail, the next try afresh.
      // Only these: jobs a live thread already has keep their sessions busy until it answers.
      this.fail(jobs.map(([id]) => id), hsmUnavailable(err, 'the PKCS#11 signing thread could not start'));
    }
  };

  private fail(ids: Iterable<number>, err: unknown): void {
    for (const id of [...ids]) {
      this.pending.get(id)?.reject(err);
      this.pending.delete(id);
    }
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { module: this.module, pkcs11js: require.resolve('pkcs11js') },
    });
    // A signing thread alone must not keep a finished process alive.
    worker.unref();
    worker.on('message', (replies: SignReply[]) => {
      for (const [id, signature, error] of replies) {
        const pending = this.pending.get(id);
        if (!pending) continue;
        this.pending.delete(id);
        if (signature) pending.resolve(Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength));
        else pending.reject(tokenError(error!));
      }
    });
    const died = (cause: unknown): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      // Jobs not yet sent fail too: their sessions go back to the pool with the rejection, so
      // they must never reach a new thread.
      this.queue = [];
      this.fail(this.pending.keys(), hsmUnavailable(cause, 'the PKCS#11 signing thread stopped'));
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`signing thread exited with ${code}`)));
    this.worker = worker;
    return worker;
  }
}

export class SignThreads {
  private readonly threads: SignThread[];
  private readonly limit: number;
  private nextId = 0;

  constructor(private readonly module: string, count: number) {
    if (!Number.isInteger(count) || count < 1) throw new Error('signThreads must be a positive integer');
    this.threads = Array.from({ length: count }, () => new SignThread(module));
    this.limit = count + MAX_EXTRA;
  }

  /** C_SignInit + C_Sign on `session` (leased by the caller: one operation at a time). */
  sign(session: Buffer, mechanism: pkcs11js.Mechanism, key: Buffer, data: Buffer): Promise<Buffer> {
    const at = performance.now();
    const thread = this.pick(at);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => thread.submit([id, session, mechanism, key, data], { resolve, reject, at }));
  }

  /** The thread with the fewest in flight among those not stalled; a new one if all are. */
  private pick(now: number): SignThread {
    let best: SignThread | undefined;
    let fewest = this.threads[0];
    for (const t of this.threads) {
      if (t.inFlight < fewest.inFlight) fewest = t;
      if ((!best || t.inFlight < best.inFlight) && !t.stalled(now)) best = t;
    }
    if (best) return best;
    if (this.threads.length >= this.limit) return fewest;
    const extra = new SignThread(this.module);
    this.threads.push(extra);
    return extra;
  }

  /** Stops the threads; call once no signature is in flight (the session pool has drained). */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
