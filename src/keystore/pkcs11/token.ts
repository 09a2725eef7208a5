/**
 * One logged-in token: the long-lived session that keeps the login alive (closing a process's
 * last session logs it out), the pool of operation sessions, the probed mechanisms, and the
 * way back when the token drops sessions, leaves, or its library loses its state.
 *
 * Every call but a signature runs on the control thread (control-thread.ts), each bounded by
 * the sign timeout, so a token that hangs while being re-opened leaves the event loop free.
 *
 * The token is either up or down. Down carries the reason (what readiness and the log say) and
 * whether to try again: a PIN the token refused is never tried again, since a retry loop locks
 * real tokens; anything else is retried in the background with back-off, while every operation
 * fails at once with HsmUnavailable (503) instead of queueing behind a dead HSM.
 */
import { AppError, hsmUnavailable } from '../../errors';
import type { KeyStoreEvents } from '../keystore';
import type { ControlOps, OpName } from './control-ops';
import { ControlThread, type Late, NoAnswer } from './control-thread';
import { CKR, ckrCode, isModuleLost, isPinError, isSessionLost, reportError, toAppError } from './errors';
import {
  acquireModule, claimLogin, initialization, loginUser, releaseLogin, releaseModule, setInitialization,
} from './module';
import { type LeaseSignal, SessionPool } from './session-pool';
import { SignThreads } from './sign-threads';

export interface TokenOptions {
  module: string;
  tokenLabel: string;
  pin: string;
  /** Operation sessions; the token's own limit lowers it. */
  sessions: number;
  /** Longest a timed operation (a signature, waiting for a session included) may take. */
  opTimeoutMs: number;
  /** Threads that run C_SignInit + C_Sign. */
  signThreads: number;
  /** Start down (and keep trying) rather than throw when the first open fails. */
  lenient?: boolean;
  /** Told each time the token becomes usable or unusable, for the log. */
  onStatus?: (status: TokenStatus) => void;
  /** Told about every PKCS#11 error the token returns, and about signatures (for metrics). */
  events?: KeyStoreEvents;
}

export interface TokenStatus {
  ready: boolean;
  /** Why the token is unusable. */
  reason?: string;
  /** Whether it is being retried (false after a PIN error: that needs the operator). */
  retrying?: boolean;
}

/** Slot and login session by handle: they are the process's, usable from any thread. */
type State =
  | { up: true; slot: Buffer; anchor: Buffer }
  | { up: false; error: AppError; retryable: boolean };

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
/** CK_EFFECTIVELY_INFINITE and CK_UNAVAILABLE_INFORMATION as graphene reports them. */
const NO_SESSION_LIMIT = new Set([0, 0xffffffff, -1]);

export class Token {
  private gen = 0;
  private state: State = { up: false, error: hsmUnavailable(undefined, 'PKCS#11 token not opened yet'), retryable: false };
  private readonly pool: SessionPool<Buffer>;
  /** Where signatures run, off the event loop. */
  readonly signThreads: SignThreads;
  /** Where every other token call runs, off the event loop. */
  private readonly control: ControlThread;
  private known: ReadonlySet<number> = new Set();
  private claimedSlot: Buffer | undefined;
  private recovering: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoff = RETRY_MIN_MS;
  /** The login session of a C_Login given up on whose verdict on the PIN has not come yet. */
  private loginInDoubt: Buffer | undefined;
  /** The session of a C_Login that succeeded after it was given up on: the next connect's login session. */
  private lateLogin: { slot: Buffer; session: Buffer } | undefined;

  private constructor(private readonly options: TokenOptions) {
    this.signThreads = new SignThreads(options.module, options.signThreads);
    this.control = new ControlThread(options.module);
    this.pool = new SessionPool({
      size: options.sessions,
      open: async () => this.call('openSession', [this.up().slot]),
      close: (session) => this.closeQuietly(session),
      // A session whose token operation failed may still hold an active operation; our own
      // validation errors (AppError) happen before any operation starts.
      discardOn: (err) => !(err instanceof AppError),
      atLimit: (err) => ckrCode(err) === CKR.SESSION_COUNT,
      closedError: () => hsmUnavailable(undefined, 'key store is closed'),
    });
  }

  /**
   * Loads the module (a library that cannot be loaded is a configuration error: thrown) and
   * logs in. Other failures are thrown too, unless `lenient`: then the token starts down.
   */
  static async open(options: TokenOptions): Promise<Token> {
    acquireModule(options.module, { initialize: false });
    const token = new Token(options);
    try {
      await token.connect(false);
    } catch (err) {
      reportError(options.events, err, 'open token');
      if (!options.lenient) {
        await token.close();
        throw toAppError(err, 'cannot open PKCS#11 token');
      }
      token.markDown(err);
    }
    return token;
  }

  /** Advances whenever sessions are re-established; key handles are re-found after it moves. */
  get generation(): number {
    return this.gen;
  }

  get label(): string {
    return this.options.tokenLabel;
  }

  get events(): KeyStoreEvents | undefined {
    return this.options.events;
  }

  /** Leased, idle and waiting counts of the operation session pool. */
  get sessionStats(): { idle: number; leased: number; waiting: number } {
    return this.pool.stats;
  }

  /** Calls given up on after their time limit that have not come back from the library. */
  get hungCalls(): number {
    return this.control.hung;
  }

  /** The mechanism types the token offered when it was last up. */
  get mechanisms(): ReadonlySet<number> {
    return this.known;
  }

  status(): TokenStatus {
    if (this.state.up) return { ready: true };
    return { ready: false, reason: this.state.error.message, retrying: this.state.retryable && !this.closing };
  }

  /**
   * The login session, for object searches and attribute reads on the control thread. Safe to
   * share: that thread makes one call at a time, and no signature ever runs on it.
   */
  get session(): Buffer {
    return this.up().anchor;
  }

  get slot(): Buffer {
    return this.up().slot;
  }

  /** One call on the control thread, given up (HsmUnavailable) after `timeoutMs`. */
  call<K extends OpName>(
    op: K, args: Parameters<ControlOps[K]>, timeoutMs = this.options.opTimeoutMs, late?: Late,
  ): Promise<Awaited<ReturnType<ControlOps[K]>>> {
    return this.control.call(op, args, timeoutMs, late);
  }

  /**
   * Runs `fn` on a session of its own. When the token has dropped the session (or the login),
   * re-opens and re-logs in, then tries once more if `retry`; failures become HsmUnavailable.
   * With `timed`, gives up after `opTimeoutMs` and aborts the signal `fn` gets: what `fn` has
   * not yet handed to the token can stop there (a signature still queued for its thread), while
   * a call already in the token cannot be cancelled, and its session comes back to the pool when
   * the token answers.
   */
  run<T>(what: string, fn: (session: Buffer, signal?: LeaseSignal) => Promise<T>, opts: { retry?: boolean; timed?: boolean } = {}): Promise<T> {
    const retry = opts.retry ?? true;
    if (!opts.timed) return this.withRecovery(what, () => this.pool.use(fn), retry);
    const limit = this.options.opTimeoutMs;
    const lease: { aborted: boolean; onabort: (() => void) | null } = { aborted: false, onabort: null };
    const work = this.withRecovery(what, () => this.pool.use(fn, lease), retry);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        lease.aborted = true;
        lease.onabort?.();
        reject(hsmUnavailable(undefined, `${what} timed out after ${limit} ms`));
      }, limit);
      work.then(
        (value) => (clearTimeout(timer), resolve(value)),
        (err) => (clearTimeout(timer), reject(err)),
      );
    });
  }

  /** Runs calls on the login session (`session`), with the same recovery as run(). */
  lookup<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.withRecovery(what, fn, true);
  }

  private up(): Extract<State, { up: true }> {
    if (this.closing) throw hsmUnavailable(undefined, 'key store is closed');
    if (!this.state.up) throw this.state.error;
    return this.state;
  }

  private async withRecovery<T>(what: string, attempt: () => Promise<T>, retry: boolean): Promise<T> {
    // Cached key handles are not to be trusted while the token is being re-opened. (No await
    // otherwise: leases are then taken synchronously, in call order.)
    if (this.recovering) await this.recovering.catch(() => undefined);
    this.up();
    const generation = this.generation;
    try {
      return await attempt();
    } catch (err) {
      reportError(this.events, err, what);
      if (!isSessionLost(err) || this.closing) throw toAppError(err, what);
      await this.recover(generation);
      if (!retry) throw toAppError(err, what);
      try {
        return await attempt();
      } catch (again) {
        reportError(this.events, again, what);
        if (isSessionLost(again) && !this.closing) this.recover(this.generation).catch(() => undefined);
        throw toAppError(again, what);
      }
    }
  }

  /**
   * One recovery for all the operations that failed meanwhile: they wait for the one in
   * progress, or retry at once if it already finished after they started.
   */
  private recover(failedIn: number): Promise<void> {
    if (this.recovering) return this.recovering;
    if (!this.state.up) return Promise.reject(this.state.error);
    if (failedIn !== this.generation) return Promise.resolve();
    this.recovering = this.reconnect().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  /**
   * Re-open and log in again; when the library or the slot is gone, re-initialise the module
   * first (only once no operation is running on it). When nothing works, the token goes down.
   */
  private async reconnect(): Promise<void> {
    this.pool.reset();
    try {
      try {
        await this.connect(false);
        return;
      } catch (err) {
        if (isPinError(err) || !isModuleLost(err)) throw err;
      }
      // C_Finalize under a call still running on another thread is undefined behaviour.
      if (!(await this.pool.whenIdle(this.options.opTimeoutMs)) || this.control.hung > 0) {
        throw hsmUnavailable(undefined, 'PKCS#11 operations hang; the module cannot be re-initialised');
      }
      await this.connect(true);
    } catch (err) {
      // Foreground recoveries and background retries alike: each failed attempt is counted once.
      reportError(this.events, err, 'recovery');
      this.markDown(err);
      throw this.state.up ? err : this.state.error;
    }
  }

  /** Finds the token, opens the login session, logs in (once per process), probes mechanisms. */
  private async connect(reinitialize: boolean): Promise<void> {
    if (reinitialize) await this.call('reinitialize', []);
    else await this.initialize();
    const slot = await this.call('findSlot', [this.options.tokenLabel]);
    const late = this.takeLateLogin(slot);
    const anchor = late ?? await this.call('openSession', [slot]);
    try {
      // A late login was the token accepting the PIN.
      const verified = late ? true : await loginUser(() => this.login(slot, anchor));
      if (!this.claimedSlot) {
        claimLogin(this.options.module, slot, this.options.pin, verified);
        this.claimedSlot = slot;
      }
      const { mechanisms, maxRwSessionCount } = await this.call('slotInfo', [slot]);
      this.known = new Set(mechanisms);
      this.fitPool(maxRwSessionCount);
    } catch (err) {
      // A C_Login still under way keeps its session until it answers (see login()).
      if (this.loginInDoubt !== anchor) this.closeQuietly(anchor);
      throw err;
    }
    const previous = this.state;
    this.state = { up: true, slot, anchor };
    if (previous.up) this.closeQuietly(previous.anchor);
    this.backoff = RETRY_MIN_MS;
    // Only now, with the new login session in place, may key handles be looked up again.
    this.gen++;
    if (!previous.up) this.options.onStatus?.(this.status());
  }

  /**
   * The process's first C_Initialize, on the control thread like every other call: a library that
   * hangs in it leaves the daemon listening, not ready, and saying why. One that got no answer in
   * time is not made again until it answers; its late answer lets the next retry go on.
   */
  private async initialize(): Promise<void> {
    const { module } = this.options;
    const state = initialization(module);
    if (state === 'done') return;
    if (state === 'pending') {
      throw hsmUnavailable(undefined, 'an earlier C_Initialize has not answered; it is not made again until it does');
    }
    setInitialization(module, 'pending');
    try {
      await this.call('initialize', [], this.options.opTimeoutMs, (error) => setInitialization(module, error ? 'no' : 'done'));
      setInitialization(module, 'done');
    } catch (err) {
      if (!(err instanceof NoAnswer)) setInitialization(module, 'no');
      throw err;
    }
  }

  /**
   * One C_Login. One that got no answer in time may still reach the token and count against the
   * PIN's tries, so no other is made until its verdict comes (its session stays open until then),
   * and a late refusal stops retrying for good, as a refusal in time does. A late success is kept
   * for the next connect, tried at once: closing its session, the process's only one, would
   * log the token out again, and a token whose C_Login always takes longer than the limit would
   * then never come up.
   */
  private async login(slot: Buffer, anchor: Buffer): Promise<void> {
    if (!this.state.up && isPinError(this.state.error)) throw this.state.error;
    if (this.loginInDoubt) {
      throw hsmUnavailable(undefined, 'an earlier C_Login has not answered; the PIN is not tried again until it does');
    }
    try {
      await this.call('login', [anchor, this.options.pin], this.options.opTimeoutMs, (error) => {
        this.loginInDoubt = undefined;
        if (!error && !this.state.up && !this.closing) {
          this.lateLogin = { slot, session: anchor };
          this.retryNow();
          return;
        }
        this.closeQuietly(anchor);
        if (error && isPinError(error)) this.markDown(error);
      });
    } catch (err) {
      if (err instanceof NoAnswer) this.loginInDoubt = anchor;
      throw err;
    }
  }

  /** The session a late C_Login logged in on, if it is on `slot` (else it is closed). */
  private takeLateLogin(slot: Buffer): Buffer | undefined {
    const late = this.lateLogin;
    this.lateLogin = undefined;
    if (!late) return undefined;
    if (late.slot.equals(slot)) return late.session;
    this.closeQuietly(late.session);
    return undefined;
  }

  /** Keeps one session of the token's limit for the login session. */
  private fitPool(max: number): void {
    if (!NO_SESSION_LIMIT.has(max) && max - 1 < this.pool.capacity) this.pool.resize(Math.max(1, max - 1));
  }

  private markDown(err: unknown): void {
    const converted = toAppError(err, 'PKCS#11 token unusable');
    const error = converted instanceof AppError && converted.kind === 'HsmUnavailable'
      ? converted : hsmUnavailable(err, 'PKCS#11 token unusable');
    if (this.state.up) this.closeQuietly(this.state.anchor);
    this.pool.reset();
    const wasUp = this.state.up;
    const previousReason = this.state.up ? undefined : this.state.error.message;
    this.state = { up: false, error, retryable: !isPinError(err) };
    if (wasUp || previousReason !== error.message) this.options.onStatus?.(this.status());
    if (this.state.retryable && !this.closing) this.scheduleRetry();
    else clearTimeout(this.retryTimer);
  }

  private retryNow(): void {
    this.backoff = RETRY_MIN_MS;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.closing || this.recovering || this.state.up || !this.state.retryable) return;
      this.recovering = this.reconnect().catch(() => undefined).finally(() => (this.recovering = undefined));
    }, this.backoff);
    this.retryTimer.unref();
    this.backoff = Math.min(this.backoff * 2, RETRY_MAX_MS);
  }

  /** Closes a session in the background; one the token already dropped is gone either way. */
  private closeQuietly(session: Buffer): void {
    // Closing the control thread waits for it, as for every call in flight.
    void this.call('closeSession', [session]).catch(() => undefined);
  }

  /** Waits for leased operations, logs out if no other key store shares the login, finalizes. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.retryTimer);
      await this.pool.close();
      await this.signThreads.close();
      await this.recovering?.catch(() => undefined);
      const anchor = this.state.up ? this.state.anchor : undefined;
      if (this.claimedSlot && releaseLogin(this.options.module, this.claimedSlot) && anchor) {
        // Already logged out (the token dropped us) is fine: closing continues.
        await this.call('logout', [anchor]).catch(() => undefined);
      }
      if (anchor) this.closeQuietly(anchor);
      if (this.lateLogin) this.closeQuietly(this.lateLogin.session);
      await this.control.close();
      releaseModule(this.options.module, this.control.hung > 0);
    })();
    return this.closing;
  }
}
