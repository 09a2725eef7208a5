/**
 * A private SoftHSM2 set-up for tests: one temp directory and config per process, one fresh
 * token per call. Integration tests hand `conf` to child processes as SOFTHSM2_CONF.
 *
 * SoftHSM reads its config and scans the token directory when the module is initialised, so
 * create every token a test needs before the first key store is opened in the process (a key
 * store opened after all others are closed re-initialises the module and sees new tokens).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SoftHsmToken {
  /** Path of the PKCS#11 module to load. */
  module: string;
  label: string;
  pin: string;
  soPin: string;
  /** The softhsm2.conf to pass as SOFTHSM2_CONF (already set in this process). */
  conf: string;
  /** The per-process temp directory holding `conf` and `tokens/`. */
  dir: string;
}

export const SOFTHSM_MODULE = process.env.SOFTHSM2_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

let setup: { dir: string; conf: string } | undefined;
const tokens = new Map<string, SoftHsmToken>();

function processSetup(): { dir: string; conf: string } {
  if (setup) return setup;
  const dir = mkdtempSync(join(tmpdir(), 'hsmca-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  // SoftHSM reads this at C_Initialize, so it must be set before any key store opens.
  process.env.SOFTHSM2_CONF = conf;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  setup = { dir, conf };
  return setup;
}

/**
 * Initialises a fresh token (random label unless given; the same label twice returns the same
 * token) and returns what a key store needs to open it.
 */
export function createSoftHsmToken(label?: string): SoftHsmToken {
  const existing = label === undefined ? undefined : tokens.get(label);
  if (existing) return existing;
  const { dir, conf } = processSetup();
  const token: SoftHsmToken = {
    module: SOFTHSM_MODULE,
    label: label ?? `test-${randomBytes(6).toString('hex')}`,
    pin: randomBytes(8).toString('hex'),
    soPin: randomBytes(8).toString('hex'),
    conf,
    dir,
  };
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', token.label, '--pin', token.pin, '--so-pin', token.soPin],
    { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  tokens.set(token.label, token);
  return token;
}
