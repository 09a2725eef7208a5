import fs from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import { parseRfc3339 } from '../api/validation-issues';
import { outcomeOf, recordAuditEvent } from '../audit/trail';
import { parseGrant, type Grant } from '../auth/identity';
import { loadConfig } from '../config/load';
import { AppError } from '../errors';
import { newRequestId } from '../http/request-id';
import { createLogger } from '../logger';
import { openRuntime, type Runtime } from '../runtime';
import type { ServiceDeps } from '../services/deps';

/** A command's result alone goes to stdout (JSON); logs and progress go to stderr. */
export const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** One `hsmca: …` line per problem on stderr, and a failing exit code (stdout is flushed first). */
export function failWith(problems: string[]): void {
  for (const p of problems) process.stderr.write(`hsmca: ${p}\n`);
  process.exitCode = 1;
}

/** A mistake in the command line: exit status 2. */
export class UsageError extends Error {}

export function date(name: string, value: string): Date {
  const d = parseRfc3339(value) ?? (/^\d{4}-\d{2}-\d{2}$/.test(value) ? parseRfc3339(`${value}T00:00:00Z`) : undefined);
  if (!d) throw new UsageError(`${name}: '${value}' is not an ISO 8601 date (e.g. 2036-01-01T00:00:00Z)`);
  return d;
}

export function integer(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer`);
  return n;
}

/** Reads a PEM file argument, or stdin for `-`. */
export const readText = (file: string): string => fs.readFileSync(file === '-' ? 0 : file, 'utf8');

/** Opens config → store → key store for a command that uses the services, and closes them. */
export const withServices = <T>(program: Command, fn: (s: ServiceDeps) => Promise<T>): Promise<T> =>
  withRuntime(program, { hsm: true }, (rt) => fn(rt.services!));

/** commander collector for a repeatable `--grant action:ca`. */
export function grant(value: string, previous: Grant[] = []): Grant[] {
  try {
    return [...previous, parseGrant(value)];
  } catch (e) {
    throw new UsageError(`--grant: ${(e as Error).message}`);
  }
}

/** commander collector for any repeatable string option. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export async function withRuntime<T>(
  program: Command, opts: { hsm: boolean; auth?: boolean }, fn: (rt: Runtime) => Promise<T>,
): Promise<T> {
  const config = loadConfig(program.opts().config);
  const rt = await openRuntime(config, createLogger(config.logLevel, config.logFormat), opts);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/**
 * Identity administration from the CLI leaves the same trace in the audit trail as through the
 * API: one event, the operating-system user as the identity, `local` as the client.
 */
export async function audited<T extends { id: string }>(
  rt: Runtime, target: (r: T) => string, fn: () => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  let status = 200;
  try {
    result = await fn();
    return result;
  } catch (e) {
    status = e instanceof AppError ? e.status : 500;
    throw e;
  } finally {
    await recordAuditEvent(rt.store, {
      time: new Date(), reqId: newRequestId(), identity: `local:${os.userInfo().username}`, credential: 'cli',
      action: 'manage-identities', caId: null, target: result ? target(result) : null,
      outcome: outcomeOf(status), status, serial: null, csrSha256: null,
      client: 'local',
    });
  }
}
