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
 * A hung C_Sign keeps its thread (nothing can interrupt it); the signatures after it do not wait
 * for it. A thread whose oldest job has waited longer than STALL_MS is stalled: it gets no new
 * jobs while another thread is not, when every thread is stalled up to MAX_EXTRA more are
 * started, and the jobs it was sent but has not started are taken back and given to another
 * thread (a watchdog looks every STALL_MS / 2). Taking back is one shared counter per thread:
 * the id of the next job the thread may start, claimed with compare-and-swap by the thread
 * before each job and moved past the unstarted ones by the main thread, so a job (and its
 * session) is never on two threads. The same taking back drops a job whose request has given up
 * (the sign timeout) before its thread started it.
 */
import { Worker } from 'node:worker_threads';
import type * as pkcs11js from 'pkcs11js';
import { hsmUnavailable } from '../../errors';
import type { LeaseSignal } from './session-pool';
import { signThreadMain, type SignJob, type SignReply } from './sign-thread-main';
import { fromWire } from './wire';

/** What a signature needs, whichever thread makes it. */
type Work = [session: Buffer, mechanism: pkcs11js.Mechanism, key: Buffer, data: Uint8Array];

interface Pending {
  work: Work;
  resolve(signature: Buffer): void;
  reject(err: unknown): void;
  /** When the job was given to its thread (performance.now()). */
  at: number;
  /** The thread it was given to. */
  thread?: SignThread;
}

/** Far beyond a batch of slow signatures queued on one thread, far below a sign timeout. */
const STALL_MS = 1_000;
const MAX_EXTRA = 2;

// Under the tests' TypeScript loader (esbuild, keepNames) the function's text calls a `__name`
// helper that lives outside it; defined here, it costs nothing in the built code.
const THREAD_SOURCE = `var __name = (f) => f;\n(${signThreadMain.toString()})();`;

const givenUp = (): Error => hsmUnavailable(undefined, 'the signature was given up before it started');

class SignThread {
  /** Unanswered jobs by id, in the order they were submitted (which is id order). */
  private readonly pending = new Map<number, Pending>();
  private queue: SignJob[] = [];
  private worker: Worker | undefined;
  /** The id of the next job the thread may start (see `signThreadMain`). */
  private readonly next = new Int32Array(new SharedArrayBuffer(4));
  /** The id the next submitted job gets. */
  private nextId = 0;

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

  submit(pending: Pending): void {
    const id = this.nextId;
    this.nextId = (id + 1) | 0;
    pending.thread = this;
    this.pending.set(id, pending);
    // One message per event-loop turn, however many requests reached their signature in it.
    if (this.queue.push([id, ...pending.work]) === 1) setImmediate(this.flush);
  }

  /** Takes back the jobs the thread has not started, which it will now skip. */
  takeBack(): Pending[] {
    const first = Atomics.exchange(this.next, 0, this.nextId);
    const taken: Pending[] = [];
    for (const [id, pending] of this.pending) {
      if (id !== first && taken.length === 0) continue;
      taken.push(pending);
      this.pending.delete(id);
    }
    this.queue = [];
    return taken;
  }

  /** Drops `target` if the thread has not started it; false if it has (or has answered it). */
  cancel(target: Pending): boolean {
    let found = false;
    for (const pending of this.takeBack()) {
      if (pending === target) found = true;
      else this.submit(pending); // behind the same jobs as before, in the same order
    }
    return found;
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
      // The thread never saw their ids, so the next job takes the first of them.
      this.fail(jobs.map(([id]) => id), hsmUnavailable(err, 'the PKCS#11 signing thread could not start'));
      this.nextId = jobs[0][0];
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
      workerData: { module: this.module, pkcs11js: require.resolve('pkcs11js'), next: this.next.buffer },
    });
    // A signing thread alone must not keep a finished process alive.
    worker.unref();
    worker.on('message', (replies: SignReply[]) => {
      for (const [id, signature, error] of replies) {
        const pending = this.pending.get(id);
        if (!pending) continue;
        this.pending.delete(id);
        if (signature) pending.resolve(Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength));
        else pending.reject(fromWire(error!)); // pkcs11js' shape: classified by its CKR_ code
      }
    });
    const died = (cause: unknown): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      // Jobs not yet sent fail too: their sessions go back to the pool with the rejection, so
      // they must never reach a new thread.
      this.queue = [];
      this.fail(this.pending.keys(), hsmUnavailable(cause, 'the PKCS#11 signing thread stopped'));
      Atomics.store(this.next, 0, this.nextId); // where the next thread starts
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
  private readonly watchdog: NodeJS.Timeout;

  constructor(private readonly module: string, count: number) {
    if (!Number.isInteger(count) || count < 1) throw new Error('signThreads must be a positive integer');
    this.threads = Array.from({ length: count }, () => new SignThread(module));
    this.limit = count + MAX_EXTRA;
    this.watchdog = setInterval(this.rescue, STALL_MS / 2).unref();
  }

  /**
   * C_SignInit + C_Sign on `session` (leased by the caller: one operation at a time). When
   * `signal` aborts (its request gave up) before a thread has started the signature, it is not
   * made: the job is dropped and its session comes back unused, so a slow HSM is not given
   * signatures nobody waits for.
   */
  sign(session: Buffer, mechanism: pkcs11js.Mechanism, key: Buffer, data: Buffer, signal?: LeaseSignal): Promise<Buffer> {
    if (signal?.aborted) return Promise.reject(givenUp());
    const at = performance.now();
    // A message copies a view's whole ArrayBuffer: an RSA TBS is ~600 bytes of an 8 KiB slab
    // of Node's buffer pool (measured 2.6–3.7 µs more per job than sending the bytes alone).
    const own = data.byteLength === data.buffer.byteLength ? data : new Uint8Array(data);
    const work: Work = [session, mechanism, key, own];
    return new Promise((resolve, reject) => {
      const pending: Pending = { work, resolve, reject, at };
      this.pick(at).submit(pending);
      if (!signal) return;
      signal.onabort = (): void => {
        if (pending.thread?.cancel(pending)) reject(givenUp());
      };
    });
  }

  /** Gives the jobs a stalled thread has not started to threads that are not stalled. */
  private readonly rescue = (): void => {
    const now = performance.now();
    for (const thread of this.threads.filter((t) => t.stalled(now))) {
      for (const pending of thread.takeBack()) {
        pending.at = now;
        this.pick(now).submit(pending);
      }
    }
  };

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
    clearInterval(this.watchdog);
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
