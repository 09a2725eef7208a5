/**
 * `hsmca config check`: the configuration as the daemon would resolve it, with the secrets
 * shown only as where they come from, and every problem found at once — schema, unreadable
 * files, a missing PKCS#11 module, a PIN that cannot be read.
 */
import fs from 'node:fs';
import type { Config } from './config';
import { ENV_OVERRIDES } from './config';
import { ConfigError, loadSecrets, resolveConfig } from './load';

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

function checkModule(module: unknown, problems: string[]): void {
  if (typeof module !== 'string' || !module) return; // the schema has already said so
  try {
    fs.accessSync(module, fs.constants.R_OK);
  } catch (e) {
    problems.push(`pkcs11.module: ${module} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Where the PIN comes from, checked by actually reading it; the PIN itself is never kept. */
function checkPin(doc: Config, env: Env, problems: string[], warnings: string[]): string | undefined {
  try {
    loadSecrets(doc, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
    return undefined;
  }
  if (env.HSMCA_PKCS11_PIN) {
    if (doc.pkcs11?.pinFile) warnings.push('pkcs11.pinFile is ignored: HSMCA_PKCS11_PIN is set and wins');
    return `${REDACTED} (from HSMCA_PKCS11_PIN)`;
  }
  const file = doc.pkcs11.pinFile as string;
  if (fs.statSync(file).mode & 0o077) warnings.push(`pkcs11.pinFile: ${file} is readable by group or others; chmod 600 it`);
  return `${REDACTED} (from ${file})`;
}

export function checkConfig(file: string | undefined, env: Env = process.env): ConfigCheck {
  const resolved = resolveConfig(file, env);
  const problems = [...resolved.problems];
  const warnings: string[] = [];
  const doc = resolved.doc as unknown as Config;
  checkModule(doc.pkcs11?.module, problems);
  const pin = checkPin(doc, env, problems, warnings);
  const config = { ...resolved.doc, pkcs11: { ...(resolved.doc.pkcs11 as object), ...(pin ? { pin } : {}) } };
  return {
    file: resolved.file ?? null,
    env: Object.keys(ENV_OVERRIDES).concat('HSMCA_PKCS11_PIN', 'HSMCA_CONFIG').filter((k) => env[k]).sort(),
    config,
    problems,
    warnings,
  };
}
