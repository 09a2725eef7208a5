/**
 * One logged-in token: the long-lived session that keeps the login alive (closing a process's
 * last session logs it out), the pool of operation sessions, the probed mechanisms, and the
 * recovery path for sessions the token has dropped (idle timeouts, HSM restarts).
 */
import * as graphene from 'graphene-pk11';
import { AppError, hsmUnavailable } from '../../errors';
import type { KeyStoreEvents } from '../keystore';
import { ckrCode, isSessionLost, toAppError } from './errors';
import { probeMechanisms } from './mechanisms';
import { ckrName } from './names';
import { acquireModule, claimLogin, findSlot, loginUser, releaseLogin, releaseModule } from './module';
import { SessionPool } from './session-pool';

export interface TokenOptions {
  module: string;
  tokenLabel: string;
  pin: string;
  sessions: number;
  /** Told about every PKCS#11 error the token returns (for metrics). */
  events?: KeyStoreEvents;
}

const RW_SESSION = graphene.SessionFlag.RW_SESSION | graphene.SessionFlag.SERIAL_SESSION;

/** The CKR_ code behind an error, whether raw or already wrapped in an AppError. */
const codeBehind = (err: unknown): number | undefined =>
  ckrCode(err) ?? (err instanceof AppError ? ckrCode(err.cause) : undefined);

function closeQuietly(session: graphene.Session): void {
  try {
    session.close();
  } catch {
    // Closing a session the token already dropped fails; it is gone either way.
  }
}

export class Token {
  private gen = 0;
  private readonly pool: SessionPool<graphene.Session>;
  private recovering: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: TokenOptions,
    private readonly slot: graphene.Slot,
    private anchor: graphene.Session,
    readonly mechanisms: ReadonlySet<number>,
  ) {
    this.pool = new SessionPool({
      size: options.sessions,
      open: () => slot.open(RW_SESSION),
      close: closeQuietly,
      // A session whose token operation failed may still hold an active operation; our own
      // validation errors (AppError) happen before any operation starts.
      discardOn: (err) => !(err instanceof AppError),
      closedError: () => hsmUnavailable(undefined, 'key store is closed'),
    });
  }

  static async open(options: TokenOptions): Promise<Token> {
    const module = acquireModule(options.module);
    let anchor: graphene.Session | undefined;
    try {
      const slot = findSlot(module, options.tokenLabel);
      anchor = slot.open(RW_SESSION);
      const verified = await loginUser(anchor, options.pin);
      claimLogin(options.module, slot, options.pin, verified);
      return new Token(options, slot, anchor, probeMechanisms(slot));
    } catch (err) {
      reportError(options.events, err, 'open token');
      if (anchor) closeQuietly(anchor);
      releaseModule(options.module);
      throw toAppError(err, 'cannot open PKCS#11 token');
    }
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

  /**
   * The login session, for short synchronous calls (object search, attribute reads). Safe to
   * share: JavaScript runs them one at a time and no async operation ever runs on it.
   */
  get session(): graphene.Session {
    if (this.closing) throw hsmUnavailable(undefined, 'key store is closed');
    return this.anchor;
  }

  /**
   * Runs `fn` on a session of its own. When the token has dropped the session (or the login),
   * re-opens and re-logs in, then tries once more if `retry`; failures become HsmUnavailable.
   */
  run<T>(what: string, fn: (session: graphene.Session) => Promise<T>, retry = true): Promise<T> {
    return this.withRecovery(what, () => this.pool.use(fn), retry);
  }

  /** Runs a short synchronous call on the login session, with the same recovery as run(). */
  lookup<T>(what: string, fn: (session: graphene.Session) => T): Promise<T> {
    return this.withRecovery(what, async () => fn(this.session), true);
  }

  private async withRecovery<T>(what: string, attempt: () => Promise<T>, retry: boolean): Promise<T> {
    // Cached key handles are not to be trusted while the token is being re-opened. (No await
    // otherwise: leases are then taken synchronously, in call order.)
    if (this.recovering) await this.recovering.catch(() => undefined);
    const generation = this.generation;
    try {
      return await attempt();
    } catch (err) {
      reportError(this.events, err, what);
      if (!isSessionLost(err) || this.closing) throw toAppError(err, what);
      await this.recover(generation).catch((failed: unknown) => {
        reportError(this.events, failed, 'recovery');
        throw failed;
      });
      if (!retry) throw toAppError(err, what);
      try {
        return await attempt();
      } catch (again) {
        reportError(this.events, again, what);
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
    if (failedIn !== this.generation) return Promise.resolve();
    this.recovering = this.reopen().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async reopen(): Promise<void> {
    this.pool.reset();
    let fresh: graphene.Session;
    try {
      fresh = this.slot.open(RW_SESSION);
    } catch (err) {
      throw hsmUnavailable(err, 'PKCS#11 token lost and cannot be re-opened');
    }
    try {
      await loginUser(fresh, this.options.pin);
    } catch (err) {
      closeQuietly(fresh);
      throw err;
    }
    const old = this.anchor;
    this.anchor = fresh;
    closeQuietly(old);
    // Only now, with the new login session in place, may key handles be looked up again.
    this.gen++;
  }

  /** Waits for leased operations, logs out if no other key store shares the login, finalizes. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.pool.close();
      await this.recovering?.catch(() => undefined);
      if (releaseLogin(this.options.module, this.slot)) {
        try {
          this.anchor.logout();
        } catch {
          // Already logged out (the token dropped us); closing continues.
        }
      }
      closeQuietly(this.anchor);
      releaseModule(this.options.module);
    })();
    return this.closing;
  }
}

/** Counts a PKCS#11 error by its CKR_ name; errors of our own (no CKR code) are not the token's. */
function reportError(events: KeyStoreEvents | undefined, err: unknown, operation: string): void {
  if (!events?.failed) return;
  const code = codeBehind(err);
  if (code !== undefined) events.failed({ code: ckrName(code), operation });
}
