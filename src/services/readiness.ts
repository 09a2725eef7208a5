/**
 * Whether the daemon can issue now, and if not, why — for /readyz and the log. Checks the
 * database, the token (its state first: a down token is reported without touching it, so a
 * refused PIN never leads to another login; then a real test signature, within a deadline) and
 * every active CA's key, so that a CA whose key needs a mechanism the token lacks is named at
 * start-up rather than discovered by the first request.
 *
 * Probes are cheap: a result is reused for `cacheMs`, concurrent probes share one check, and a
 * test signature the HSM never answers is not started again while it hangs (each would hold a
 * session).
 */
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';

export interface ReadinessResult {
  ready: boolean;
  /** One line per problem, e.g. `HSM: HSM login failed: PIN incorrect`, `CA corp-root (…): …`. */
  problems: string[];
}

export interface ReadinessOptions {
  services: ServiceDeps;
  log?: Logger;
  /** How long a result is reused (default 1 s). */
  cacheMs?: number;
  /** How long the test signature may take before the token counts as unavailable (default 2 s). */
  deadlineMs?: number;
}

/** The operator-facing reason of a failure: our own message (a library's text could name a path or a PIN source). */
function reasonOf(e: unknown): string {
  if (!(e instanceof AppError)) return 'unexpected error (see log)';
  const cause = e.cause;
  return e.kind === 'Internal' && cause instanceof AppError ? `${e.message}: ${cause.message}` : e.message;
}

/** Active CAs whose key cannot be used to sign, with the reason. Token trouble is left to the HSM line. */
export async function unusableCas(deps: ServiceDeps): Promise<string[]> {
  const problems: string[] = [];
  for (const ca of await deps.store.listCas()) {
    if (ca.status !== 'active' || !ca.active_ca_cert_id) continue;
    try {
      await deps.issuers.get(ca);
    } catch (e) {
      if (e instanceof AppError && e.kind === 'HsmUnavailable') continue; // the token's problem, reported once
      problems.push(`CA ${ca.name} (${ca.id}): ${reasonOf(e)}`);
    }
  }
  return problems;
}

export class Readiness {
  private last: { at: number; result: ReadinessResult } | undefined;
  private running: Promise<ReadinessResult> | undefined;
  private healthCheck: Promise<void> | undefined;
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
    if (this.stopped) return Promise.resolve({ ready: false, problems: ['shutting down'] });
    const cacheMs = this.options.cacheMs ?? 1000;
    if (this.last && Date.now() - this.last.at < cacheMs) return Promise.resolve(this.last.result);
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<ReadinessResult> {
    const [database, hsm] = await Promise.all([this.database(), this.hsm()]);
    const problems = [...database, ...hsm];
    const result = { ready: problems.length === 0, problems };
    if (this.last?.result.ready !== result.ready) {
      if (result.ready) this.options.log?.info('ready');
      else this.options.log?.warn({ problems }, 'not ready');
    }
    this.last = { at: Date.now(), result };
    return result;
  }

  private async database(): Promise<string[]> {
    try {
      await this.options.services.store.countCertificates('-');
      return [];
    } catch (e) {
      this.options.log?.debug({ err: e }, 'readiness: database check failed');
      return ['database: unreachable'];
    }
  }

  private async hsm(): Promise<string[]> {
    const status = this.options.services.keyStore.status();
    if (!status.ready) return [`HSM: ${status.reason ?? 'unusable'}${status.retrying ? ' (retrying)' : ''}`];
    const signed = await this.testSignature();
    if (signed.hung) return [`HSM: ${signed.problem}`]; // CA keys can wait until the token answers again
    const cas = await unusableCas(this.options.services).catch(() => []); // a database failure has its own line
    return signed.problem ? [`HSM: ${signed.problem}`, ...cas] : cas;
  }

  /** Why the test signature failed, if it did; `hung` when it did not answer within the deadline. */
  private async testSignature(): Promise<{ problem?: string; hung?: boolean }> {
    const deadlineMs = this.options.deadlineMs ?? 2000;
    if (this.healthCheck) return { problem: `test signature still unanswered (over ${deadlineMs} ms)`, hung: true };
    const check = this.options.services.keyStore.health();
    this.healthCheck = check;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ problem: string; hung: true }>((resolve) => {
      timer = setTimeout(() => resolve({ problem: `test signature took over ${deadlineMs} ms`, hung: true }), deadlineMs);
    });
    const outcome = check.then(() => ({}), (e: unknown) => ({ problem: reasonOf(e) }));
    // Only a finished check frees the slot: a hung one keeps later probes from piling up.
    void outcome.finally(() => {
      if (this.healthCheck === check) this.healthCheck = undefined;
    });
    try {
      return await Promise.race([outcome, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
