/**
 * Whether the daemon can issue now, and if not, why — for /readyz and the start-up log. Checks
 * the database, the token (its state first: a down token is reported without touching it; then a
 * real test signature) and every active CA's key, so that a CA whose key needs a mechanism the
 * token lacks is named at start-up rather than discovered by the first request.
 */
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';

export interface Readiness {
  ready: boolean;
  /** One line per problem, e.g. `HSM: HSM login failed: PIN incorrect`, `CA corp-root (…): …`. */
  problems: string[];
}

/** The operator-facing reason of a failure: the AppError's message, or its cause's for a 500. */
function reasonOf(e: unknown): string {
  if (!(e instanceof AppError)) return 'unexpected error (see log)';
  const cause = e.cause;
  return e.kind === 'Internal' && cause instanceof AppError ? `${e.message}: ${cause.message}` : e.message;
}

/** Active CAs whose key cannot be used to sign, with the reason. Empty when the token is down. */
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

export async function readiness(deps: ServiceDeps): Promise<Readiness> {
  const problems: string[] = [];
  try {
    await deps.store.countCertificates('-');
  } catch {
    problems.push('database: unreachable');
  }
  const status = deps.keyStore.status();
  if (!status.ready) {
    problems.push(`HSM: ${status.reason ?? 'unusable'}${status.retrying ? ' (retrying)' : ''}`);
  } else {
    try {
      await deps.keyStore.health();
    } catch (e) {
      problems.push(`HSM: ${reasonOf(e)}`);
    }
    problems.push(...(await unusableCas(deps)));
  }
  return { ready: problems.length === 0, problems };
}
