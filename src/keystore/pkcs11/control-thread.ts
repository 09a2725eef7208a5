/**
 * The thread that makes the token's calls other than signatures (control-ops.ts): finding the
 * slot, opening and closing sessions, logging in, probing mechanisms, finding keys, key
 * generation, re-initialising the module. On a network HSM each is a round trip, and a hung
 * one must not freeze the event loop: health probes, 503s and every other route keep answering.
 *
 * A call that gets no answer within its time limit fails as HsmUnavailable, and the thread is
 * given up: the next call starts a fresh one. Nothing can interrupt a thread inside the library,
 * so one given up is told to quit, and ends by itself once the library lets it go. `hung`
 * counts those, since C_Finalize under them is undefined behaviour. At most MAX_HUNG are left
 * waiting on the library at once (each holds a thread and its heap); beyond that calls fail at
 * once until one comes back. A fresh thread is started as soon as one is given up, so the next
 * call does not pay for loading it.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError, hsmUnavailable } from '../../errors';
import type { ControlOps, OpName } from './control-ops';
import { fromWire, revive, type WireError } from './wire';

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** Told the answer of a call that was given up on, once the library gives it. */
  late?: Late;
}

/** The late answer: undefined for success, else the error. */
export type Late = (error: Error | undefined) => void;

type Result<K extends OpName> = Awaited<ReturnType<ControlOps[K]>>;

const OPS_MODULE = path.join(__dirname, 'control-ops');
const MAX_HUNG = 4;
// Under the tests the sources are TypeScript, loaded by tsx; a thread must load it itself.
const PRELOAD = __filename.endsWith('.ts') ? `require(${JSON.stringify(require.resolve('tsx/cjs'))});` : '';
const THREAD_SOURCE = `${PRELOAD}require(${JSON.stringify(OPS_MODULE)}).serve();`;

/** A call given up on after its time limit: the library may still carry it out. */
export class NoAnswer extends AppError {
  constructor(op: string, timeoutMs: number) {
    super('HsmUnavailable', `PKCS#11 ${op} did not answer in ${timeoutMs} ms`);
  }
}

interface Thread {
  worker: Worker;
  /** Set to 1 to make the thread run nothing more (see `serve`). */
  quit: Int32Array;
  /** Calls given up on whose answer someone still wants (see `call`'s `late`). */
  late: Map<number, Late>;
}

export class ControlThread {
  private thread: Thread | undefined;
  private readonly pending = new Map<number, Pending>();
  /** Every call not yet settled, for close() to wait on. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private nextId = 0;
  private stuck = 0;
  private closed = false;

  constructor(private readonly module: string) {}

  /** Threads given up on that have not come back from the library yet. */
  get hung(): number {
    return this.stuck;
  }

  /**
   * Runs `op` on the thread; with `timeoutMs`, fails as HsmUnavailable if it takes longer. `late`
   * hears how a call that timed out ended after all (a C_Login's verdict on the PIN matters).
   */
  call<K extends OpName>(op: K, args: Parameters<ControlOps[K]>, timeoutMs?: number, late?: Late): Promise<Result<K>> {
    if (this.closed) return Promise.reject(hsmUnavailable(undefined, 'key store is closed'));
    if (!this.thread && this.stuck >= MAX_HUNG) {
      return Promise.reject(hsmUnavailable(undefined, `${this.stuck} PKCS#11 calls have not returned; no new ones are made meanwhile`));
    }
    let thread: Thread;
    try {
      thread = this.start();
    } catch (err) {
      return Promise.reject(hsmUnavailable(err, 'the PKCS#11 control thread could not start'));
    }
    const id = ++this.nextId;
    const call = new Promise<Result<K>>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.abandon(thread, new NoAnswer(op, timeoutMs), true);
      }, timeoutMs);
      const settle = <T>(fn: (v: T) => void) => (v: T): void => {
        clearTimeout(timer);
        fn(v);
      };
      this.pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), late });
      thread.worker.postMessage([id, op, args]);
    });
    this.inFlight.add(call);
    const done = (): void => void this.inFlight.delete(call);
    call.then(done, done);
    return call;
  }

  /**
   * Refuses new calls, waits for those in flight (each ends by its answer or its time limit),
   * then stops the thread: idle in its event loop, not in the library, so stopping it from
   * outside is safe. Threads given up on stay until the library lets them go (`hung`).
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    const thread = this.thread;
    this.thread = undefined;
    await thread?.worker.terminate();
  }

  private start(): Thread {
    if (this.thread) return this.thread;
    const quit = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { module: this.module, quit: quit.buffer } });
    // The control thread alone must not keep a finished process alive.
    worker.unref();
    const thread: Thread = { worker, quit, late: new Map() };
    worker.on('message', ([id, result, error]: [number, unknown, WireError | undefined]) => {
      if (this.thread !== thread) {
        thread.late.get(id)?.(error && fromWire(error));
        thread.late.delete(id);
        return;
      }
      const pending = this.pending.get(id);
      if (!pending) return;
      this.pending.delete(id);
      if (error) pending.reject(fromWire(error));
      else pending.resolve(revive(result));
    });
    const died = (cause: unknown): void => {
      this.abandon(thread, hsmUnavailable(cause, 'the PKCS#11 control thread stopped'), false);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`control thread exited with ${code}`)));
    this.thread = thread;
    return thread;
  }

  /**
   * Fails every call in flight on `thread` and lets it go; the next call starts a fresh thread.
   * One given up while `inLibrary` is told to quit, and counts as hung until it has exited.
   */
  private abandon(thread: Thread, err: AppError, inLibrary: boolean): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    if (inLibrary) {
      for (const [id, pending] of this.pending) if (pending.late) thread.late.set(id, pending.late);
    }
    this.failAll(err);
    if (!inLibrary) return;
    this.stuck++;
    thread.worker.once('exit', () => {
      this.stuck--;
      // Calls it ended without answering: their outcome is as unknown as it will ever be.
      for (const late of thread.late.values()) late(err);
    });
    Atomics.store(thread.quit, 0, 1);
    thread.worker.postMessage('quit');
    if (this.closed || this.stuck >= MAX_HUNG) return;
    try {
      this.start();
    } catch {
      // The next call tries again, and fails as HsmUnavailable if it cannot either.
    }
  }

  private failAll(err: unknown): void {
    for (const pending of [...this.pending.values()]) pending.reject(err);
    this.pending.clear();
  }
}
