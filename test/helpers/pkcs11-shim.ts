/**
 * The fault-injecting PKCS#11 module (`test/fault/pkcs11-shim.c`), compiled once per test process
 * with the machine's cc, and its control file. It forwards to SoftHSM; `set()` writes rules.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { scratch } from './csr-factory';
import { SOFTHSM_MODULE } from './softhsm';

const SOURCE = path.resolve(__dirname, '../fault/pkcs11-shim.c');

export interface Shim {
  /** Path of the built module: give it as the PKCS#11 module. */
  module: string;
  /** Environment the module reads (target, control file, login log). */
  env: Record<string, string>;
  /** Replaces the rules (see the C file's header), effective on the module's next call. */
  set(...rules: string[]): void;
  clear(): void;
  /** Results of every C_Login since the last `forgetLogins()`, e.g. ['0x0', '0xa0']. */
  logins(): string[];
  forgetLogins(): void;
}

let built: string | undefined;

export function buildShim(): string {
  if (built) return built;
  const out = path.join(scratch(), 'libpkcs11-shim.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O1', '-Wall', '-I/usr/include/p11-kit-1', '-o', out, SOURCE, '-ldl', '-lpthread'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  built = out;
  return out;
}

/** A shim with its own control and log files. */
export function createShim(name: string): Shim {
  const module = buildShim();
  const control = path.join(scratch(), `${name}.control`);
  const log = path.join(scratch(), `${name}.log`);
  fs.writeFileSync(control, '');
  fs.writeFileSync(log, '');
  return {
    module,
    env: { PKCS11_SHIM_TARGET: SOFTHSM_MODULE, PKCS11_SHIM_CONTROL: control, PKCS11_SHIM_LOG: log },
    set: (...rules) => fs.writeFileSync(control, `${rules.join('\n')}\n`),
    clear: () => fs.writeFileSync(control, ''),
    forgetLogins: () => fs.writeFileSync(log, ''),
    logins: () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[1]),
  };
}
