import fs from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { assetPath } from '../paths';
import { MIN_PEPPER_BYTES } from '../auth/secret';
import { DEFAULTS, ENV_OVERRIDES, STRING_SETTINGS, type Config, type Pepper, type Secrets } from './config';

/** Every problem found in the configuration, reported at once with the path of each. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Json, v) : v;
  }
  return out;
}

function readFile(file: string): Json {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new ConfigError([`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`]);
  }
  if (doc === null || doc === undefined) return {};
  if (!isObject(doc)) throw new ConfigError([`${file}: the top level must be a mapping`]);
  return doc;
}

/** Env values are strings; numeric settings are coerced so the schema judges the number. */
function envLayer(env: Env): Json {
  const layer: Json = {};
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = /^\d+$/.test(raw) && !STRING_SETTINGS.has(path.join('.')) ? Number(raw) : raw;
    let node = layer;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Json;
    node[path[path.length - 1]] = value;
  }
  return layer;
}

/** `/pkcs11/module` + missing `pin` → `pkcs11.pin`; array items as `cas[1]`. */
function describe(err: ErrorObject): string {
  let where = err.instancePath.split('/').slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  if (err.keyword === 'required') where = where ? `${where}.${err.params.missingProperty}` : String(err.params.missingProperty);
  if (err.keyword === 'additionalProperties') {
    const extra = String(err.params.additionalProperty);
    return `${where ? `${where}.` : ''}${extra}: unknown setting`;
  }
  if (err.keyword === 'enum') return `${where || '(root)'}: must be one of ${(err.params.allowedValues as unknown[]).join(', ')}`;
  return `${where || '(root)'}: ${err.keyword === 'required' ? 'is required' : err.message}`;
}

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(doc: Json): string[] {
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(
    JSON.parse(fs.readFileSync(assetPath('config', 'hsmca.schema.json'), 'utf8')),
  );
  // An if/then rule also reports "must match then schema"; the error inside it says more.
  return validator(doc) ? [] : (validator.errors ?? []).filter((e) => e.keyword !== 'if').map(describe);
}

/** The merged document (defaults ← file ← env) and every problem found in it, none thrown. */
export interface ResolvedConfig {
  file?: string;
  doc: Json;
  problems: string[];
}

export function resolveConfig(file: string | undefined, env: Env = process.env): ResolvedConfig {
  const path = file ?? env.HSMCA_CONFIG;
  let fromFile: Json = {};
  const problems: string[] = [];
  try {
    fromFile = path ? readFile(path) : {};
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  const doc = deepMerge(deepMerge(DEFAULTS as unknown as Json, fromFile), envLayer(env));
  problems.push(...validate(doc));
  return { file: path, doc, problems };
}

/**
 * File (YAML or JSON) → HSMCA_* env overrides → schema validation (all errors at once) → frozen.
 * `file` defaults to `HSMCA_CONFIG`; without either, defaults plus env alone.
 */
export function loadConfig(file: string | undefined, env: Env = process.env): Config {
  const { doc, problems } = resolveConfig(file, env);
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(doc) as unknown as Config;
}

function deepFreeze<T>(o: T): T {
  if (isObject(o)) for (const v of Object.values(o)) deepFreeze(v);
  return Object.freeze(o);
}

/** The first line of a secret file; a ConfigError naming `setting` when it is unreadable or empty. */
function readSecretFile(setting: string, file: string): string {
  let line: string;
  try {
    // Whoever reads the PIN can sign as the CA (and the pepper forges tokens): a file every
    // user can read is refused.
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o004) throw new ConfigError([`${setting}: ${file} is readable by every user (mode ${mode.toString(8)}): chmod 600 it`]);
    line = fs.readFileSync(file, 'utf8').split(/\r?\n/)[0];
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError([`${setting}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  if (!line) throw new ConfigError([`${setting}: ${file} is empty`]);
  return line;
}

/**
 * The PIN comes from `HSMCA_PKCS11_PIN` or from a file (`HSMCA_PKCS11_PIN_FILE` / `pkcs11.pinFile`),
 * never from the config file itself and never from a default.
 */
export function loadSecrets(config: Config, env: Env = process.env): Secrets {
  if (env.HSMCA_PKCS11_PIN) return { pin: env.HSMCA_PKCS11_PIN };
  const file = config.pkcs11.pinFile;
  if (!file) throw new ConfigError(['pkcs11.pin: set HSMCA_PKCS11_PIN_FILE (or pkcs11.pinFile) or HSMCA_PKCS11_PIN']);
  return { pin: readSecretFile('pkcs11.pinFile', file) };
}

/**
 * The token pepper comes from `HSMCA_TOKEN_PEPPER` or a file (`HSMCA_TOKEN_PEPPER_FILE` /
 * `auth.pepperFile`), like the PIN; at least 32 bytes (`openssl rand -hex 32` makes one).
 */
export function loadPepper(config: Config, env: Env = process.env): Pepper {
  const pepper = env.HSMCA_TOKEN_PEPPER
    || (config.auth.pepperFile ? readSecretFile('auth.pepperFile', config.auth.pepperFile) : undefined);
  if (!pepper) throw new ConfigError(['auth.pepper: set HSMCA_TOKEN_PEPPER_FILE (or auth.pepperFile) or HSMCA_TOKEN_PEPPER']);
  if (Buffer.byteLength(pepper) < MIN_PEPPER_BYTES) {
    throw new ConfigError([`auth.pepper: must be at least ${MIN_PEPPER_BYTES} bytes (e.g. openssl rand -hex 32)`]);
  }
  return { pepper };
}
