/**
 * Up to `size` sessions, each leased for exactly one operation: PKCS#11 allows one active
 * operation per session (CKR_OPERATION_ACTIVE otherwise). Waiters are served first come,
 * first served. Generic over the session type so it holds no PKCS#11 knowledge itself.
 */

export interface SessionPoolOptions<S> {
  size: number;
  /** Opens a session; may reject (token gone), which rejects the lease. */
  open(): Promise<S>;
  /** Closes a session; errors are ignored, the session is being dropped anyway. */
  close(session: S): void;
  /** Whether an operation's failure leaves the session unfit for reuse. */
  discardOn(err: unknown): boolean;
  /**
   * Whether a failed open means the token has no session left for us (CKR_SESSION_COUNT: a
   * limit shared with other processes, as on a YubiHSM). The pool then makes do with the
   * sessions it holds, and the lease waits for one of them instead of failing.
   */
  atLimit?(err: unknown): boolean;
  /** The error leases get once the pool is closed. */
  closedError(): Error;
}

interface Waiter<S> {
  /** False when the waiter gave up meanwhile: the session is not taken. */
  resolve(session: S): boolean;
  reject(err: unknown): void;
}

/**
 * What ends a wait for a session: `aborted`, and `onabort` called when it becomes so. An
 * AbortSignal fits; a plain object does too, for a fraction of the cost on every signature.
 */
export interface LeaseSignal {
  readonly aborted: boolean;
  onabort: ((...args: never[]) => unknown) | null;
}

/** Thrown by `use` when its signal aborts while it waits for a session. */
export class LeaseAborted extends Error {
  constructor() {
    super('gave up waiting for a session');
    this.name = 'LeaseAborted';
  }
}

export class SessionPool<S> {
  private readonly idle: S[] = [];
  private readonly leased = new Map<S, number>();
  /** Sessions being opened: they count against `size` like leased ones. */
  private opening = 0;
  private readonly waiters: Waiter<S>[] = [];
  /** Bumped by reset(): sessions from an older epoch are closed on return, not reused. */
  private epoch = 0;
  private closed = false;
  private drained: (() => void) | undefined;
  private readonly idleWaiters = new Set<() => void>();

  private size: number;

  constructor(private readonly options: SessionPoolOptions<S>) {
    this.size = options.size;
    this.resize(options.size);
  }

  /** Changes how many sessions may be open at once (sessions beyond it close as they return). */
  resize(size: number): void {
    if (!(size >= 1)) throw new Error('session pool size must be at least 1');
    this.size = size;
    while (this.idle.length > 0 && this.idle.length + this.held > size) this.safeClose(this.idle.pop()!);
  }

  get capacity(): number {
    return this.size;
  }

  /**
   * Runs `fn` with a session of its own; the session returns to the pool afterwards. When
   * `signal` aborts while waiting for a session, the wait ends with `LeaseAborted` and no
   * session is taken (an operation already running cannot be called back: PKCS#11 has no cancel).
   * Once the session is leased, `fn` gets the signal, and its `onabort` slot is `fn`'s.
   */
  async use<T>(fn: (session: S, signal?: LeaseSignal) => Promise<T>, signal?: LeaseSignal): Promise<T> {
    const session = await this.acquire(signal);
    let broken = false;
    try {
      return await fn(session, signal);
    } catch (err) {
      broken = this.options.discardOn(err);
      throw err;
    } finally {
      this.release(session, broken);
    }
  }

  /** Drops every idle session and retires the leased ones, e.g. after the token went away. */
  reset(): void {
    this.epoch++;
    for (const session of this.idle.splice(0)) this.safeClose(session);
  }

  /** Rejects waiters, closes idle sessions, and resolves once every lease and open has come back. */
  close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.options.closedError());
    for (const session of this.idle.splice(0)) this.safeClose(session);
    if (this.held === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Resolves true once no session is leased or being opened, or false after `timeoutMs` (one hangs). */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.held === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(done);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.add(done);
    });
  }

  get stats(): { idle: number; leased: number; waiting: number } {
    return { idle: this.idle.length, leased: this.leased.size, waiting: this.waiters.length };
  }

  /** Leased or being opened. */
  private get held(): number {
    return this.leased.size + this.opening;
  }

  private async acquire(signal?: LeaseSignal): Promise<S> {
    if (this.closed) throw this.options.closedError();
    if (signal?.aborted) throw new LeaseAborted();
    // Synchronous up to here when a session is idle: leases are taken in call order.
    const session = this.idle.pop();
    if (session !== undefined) return this.lease(session);
    if (this.held < this.size) {
      try {
        const opened = await this.openLeased();
        if (!signal?.aborted) return opened;
        this.release(opened, false);
        throw new LeaseAborted();
      } catch (err) {
        if (err instanceof LeaseAborted || !this.shrinkOn(err)) throw err;
      }
    }
    return this.wait(signal);
  }

  private wait(signal?: LeaseSignal): Promise<S> {
    return new Promise((resolve, reject) => {
      let done = false;
      const settle = (): boolean => {
        if (done) return false;
        done = true;
        if (signal) signal.onabort = null;
        return true;
      };
      const waiter: Waiter<S> = {
        resolve: (session) => settle() && (resolve(session), true),
        reject: (err) => settle() && reject(err),
      };
      if (signal) {
        signal.onabort = (): void => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          if (settle()) reject(new LeaseAborted());
        };
      }
      this.waiters.push(waiter);
    });
  }

  /**
   * Opens a session and leases it under the epoch it was opened in: one that a reset() overtook
   * while opening is closed when it comes back, like any other of the old epoch.
   */
  private async openLeased(): Promise<S> {
    const epoch = this.epoch;
    this.opening++;
    let session: S;
    try {
      session = await this.options.open();
    } catch (err) {
      this.opening--;
      this.whenNoneHeld();
      throw err;
    }
    this.opening--;
    if (this.closed) {
      this.safeClose(session);
      this.whenNoneHeld();
      throw this.options.closedError();
    }
    this.leased.set(session, epoch);
    return session;
  }

  private lease(session: S): S {
    this.leased.set(session, this.epoch);
    return session;
  }

  private release(session: S, broken: boolean): void {
    const epoch = this.leased.get(session);
    this.leased.delete(session);
    const fits = this.idle.length + this.held < this.size;
    if (!broken && !this.closed && epoch === this.epoch && fits) this.idle.push(session);
    else this.safeClose(session);
    this.serveWaiters();
    this.whenNoneHeld();
  }

  /** Tells whenIdle() and close() once no session is leased or being opened. */
  private whenNoneHeld(): void {
    if (this.held > 0) return;
    for (const done of [...this.idleWaiters]) done();
    if (this.closed) this.drained?.();
  }

  /**
   * Hands idle sessions, or fresh ones in slots that dropped sessions freed, to waiters in
   * arrival order. A failed open rejects that waiter and tries the next, so no one is left
   * waiting on capacity nobody holds.
   */
  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const session = this.idle.pop();
      if (session !== undefined) {
        if (!this.waiters.shift()!.resolve(this.lease(session))) this.release(session, false);
        continue;
      }
      if (this.held >= this.size) return;
      const waiter = this.waiters.shift()!;
      this.openLeased().then(
        (opened) => {
          if (!waiter.resolve(opened)) this.release(opened, false);
        },
        (err: unknown) => {
          if (this.shrinkOn(err)) this.waiters.unshift(waiter);
          else waiter.reject(err);
          this.serveWaiters();
        },
      );
    }
  }

  /** At the token's limit while holding sessions: the pool shrinks to those, for good. */
  private shrinkOn(err: unknown): boolean {
    if (this.leased.size === 0 || !this.options.atLimit?.(err)) return false;
    this.size = this.leased.size;
    return true;
  }

  private safeClose(session: S): void {
    try {
      this.options.close(session);
    } catch {
      // The session is being dropped because it is unusable; a failing close changes nothing.
    }
  }
}
