/**
 * `hsmca config check`: the configuration as the daemon would resolve it, with the secrets
 * shown only as where they come from, and every problem found at once — schema, unreadable
 * files, a missing PKCS#11 module, a PIN or token pepper that cannot be read.
 */
import fs from 'node:fs';
import type { Config } from './config';
import { ENV_OVERRIDES } from './config';
import { ConfigError, loadPepper, loadSecrets, resolveConfig } from './load';

type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigCheck {
  file: string | null;
  /** Names (never values) of the HSMCA_* variables that took part. */
  env: string[];
  config: Record<string, unknown>;
  problems: string[];
  warnings: string[];
}

const REDACTED = '[redacted]';

function checkReadable(setting: string, file: unknown, problems: string[]): void {
  if (typeof file !== 'string' || !file) return; // absent, or the schema has already said so
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    problems.push(`${setting}: ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

interface Secret {
  /** Throws a ConfigError when the secret cannot be had. */
  load(): unknown;
  /** The environment variable holding the secret itself, which wins over the file. */
  envName: string;
  setting: string;
  file?: string;
}

/** Where a secret comes from, checked by actually reading it; the secret itself is never kept. */
function checkSecret(s: Secret, env: Env, problems: string[], warnings: string[]): string | undefined {
  try {
    s.load();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
    return undefined;
  }
  if (env[s.envName]) {
    if (s.file) warnings.push(`${s.setting} is ignored: ${s.envName} is set and wins`);
    return `${REDACTED} (from ${s.envName})`;
  }
  if (fs.statSync(s.file!).mode & 0o077) warnings.push(`${s.setting}: ${s.file} is readable by group or others; chmod 600 it`);
  return `${REDACTED} (from ${s.file})`;
}

export function checkConfig(file: string | undefined, env: Env = process.env): ConfigCheck {
  const resolved = resolveConfig(file, env);
  const problems = [...resolved.problems];
  const warnings: string[] = [];
  const doc = resolved.doc as unknown as Config;
  checkReadable('pkcs11.module', doc.pkcs11?.module, problems);
  for (const key of ['certFile', 'keyFile', 'clientCaFile'] as const) checkReadable(`tls.${key}`, doc.tls?.[key], problems);
  const pin = checkSecret({
    load: () => loadSecrets(doc, env), envName: 'HSMCA_PKCS11_PIN', setting: 'pkcs11.pinFile', file: doc.pkcs11?.pinFile,
  }, env, problems, warnings);
  const pepper = checkSecret({
    load: () => loadPepper(doc, env), envName: 'HSMCA_TOKEN_PEPPER', setting: 'auth.pepperFile', file: doc.auth?.pepperFile,
  }, env, problems, warnings);
  const config = {
    ...resolved.doc,
    pkcs11: { ...(resolved.doc.pkcs11 as object), ...(pin ? { pin } : {}) },
    auth: { ...(resolved.doc.auth as object), ...(pepper ? { pepper } : {}) },
  };
  return {
    file: resolved.file ?? null,
    env: Object.keys(ENV_OVERRIDES).concat('HSMCA_PKCS11_PIN', 'HSMCA_TOKEN_PEPPER', 'HSMCA_CONFIG').filter((k) => env[k]).sort(),
    config,
    problems,
    warnings,
  };
}
