import fs from 'node:fs';
import type { Command } from 'commander';
import { parseRfc3339 } from '../api/validation-issues';
import { loadConfig } from '../config/load';
import { createLogger } from '../logger';
import { openRuntime, type Runtime } from '../runtime';
import type { ServiceDeps } from '../services/deps';

/** A mistake in how a command was called: exit code 2. */
export class UsageError extends Error {}

/** A command's result alone goes to stdout (JSON); logs and progress go to stderr. */
export const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export const progress = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/** ISO 8601 / RFC 3339, or a bare date taken as midnight UTC. */
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

/** Opens config → store (→ key store) for one command, and closes them afterwards. */
export async function withRuntime<T>(program: Command, hsm: boolean, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig(program.opts().config);
  const rt = await openRuntime(config, createLogger(config.logLevel), { hsm });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** The same, for commands that use the services (and so the HSM). */
export const withServices = <T>(program: Command, fn: (s: ServiceDeps) => Promise<T>): Promise<T> =>
  withRuntime(program, true, (rt) => fn(rt.services!));
