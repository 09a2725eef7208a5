/**
 * Readiness: the database answers and the token makes a real test signature, within a deadline.
 * Probes are cheap: a result is reused for `cacheMs`, concurrent probes share one check, and a
 * check the HSM never answers is not started again while it hangs (each would hold a session).
 */
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { KeyStore } from '../keystore/keystore';
import type { Store } from '../store';

export interface ReadinessResult {
  ready: boolean;
  /** Per dependency: 'ok' or why not. */
  checks: { database: string; hsm: string };
}

export interface ReadinessOptions {
  store: Store;
  keyStore: KeyStore;
  log?: Logger;
  /** How long a result is reused (default 1 s). */
  cacheMs?: number;
  /** How long the test signature may take before the token counts as unavailable (default 2 s). */
  deadlineMs?: number;
}

/** Our own messages only: a library's text could name a path or a PIN source. */
const reason = (e: unknown, fallback: string): string =>
  e instanceof AppError ? e.message : fallback;

export class Readiness {
  private last: { at: number; result: ReadinessResult } | undefined;
  private running: Promise<ReadinessResult> | undefined;
  private hsmCheck: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ReadinessOptions) {}

  /** From now on not ready: the daemon is shutting down. */
  markStopping(): void {
    this.stopped = true;
  }

  get stopping(): boolean {
    return this.stopped;
  }

  check(): Promise<ReadinessResult> {
    if (this.stopped) return Promise.resolve({ ready: false, checks: { database: 'shutting down', hsm: 'shutting down' } });
    const cacheMs = this.options.cacheMs ?? 1000;
    if (this.last && Date.now() - this.last.at < cacheMs) return Promise.resolve(this.last.result);
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<ReadinessResult> {
    const [database, hsm] = await Promise.all([this.database(), this.hsm()]);
    const result = { ready: database === 'ok' && hsm === 'ok', checks: { database, hsm } };
    if (this.last?.result.ready !== result.ready) {
      if (result.ready) this.options.log?.info({ checks: result.checks }, 'ready');
      else this.options.log?.warn({ checks: result.checks }, 'not ready');
    }
    this.last = { at: Date.now(), result };
    return result;
  }

  private async database(): Promise<string> {
    try {
      await this.options.store.countCertificates('-');
      return 'ok';
    } catch (e) {
      this.options.log?.debug({ err: e }, 'readiness: database check failed');
      return 'database unreachable';
    }
  }

  private async hsm(): Promise<string> {
    const deadlineMs = this.options.deadlineMs ?? 2000;
    if (this.hsmCheck) return `HSM test signature still unanswered (over ${deadlineMs} ms)`;
    const check = this.options.keyStore.health();
    this.hsmCheck = check;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`HSM test signature took over ${deadlineMs} ms`), deadlineMs);
    });
    const outcome = check.then(() => 'ok', (e: unknown) => reason(e, 'HSM health check failed'));
    // Only a finished check frees the slot: a hung one keeps later probes from piling up.
    void outcome.finally(() => {
      if (this.hsmCheck === check) this.hsmCheck = undefined;
    });
    try {
      return await Promise.race([outcome, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
