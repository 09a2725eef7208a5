import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { SoftHsmToken } from './softhsm';

/** The built CLI, exactly as `npm run build` leaves it and as the README runs it. */
export const CLI = path.resolve(__dirname, '../../dist/cli.js');

/** Environment for the built daemon/CLI on a SoftHSM token and a SQLite file. */
export function daemonEnv(hsm: SoftHsmToken, dbFile: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SOFTHSM2_CONF: hsm.conf,
    HSMCA_PKCS11_MODULE: hsm.module,
    HSMCA_PKCS11_TOKEN: hsm.label,
    HSMCA_PKCS11_PIN: hsm.pin,
    HSMCA_TOKEN_PEPPER: crypto.randomBytes(32).toString('hex'),
    HSMCA_DATABASE: dbFile,
    HSMCA_LISTEN: '127.0.0.1:0',
    HSMCA_LOG_LEVEL: 'warn',
    ...extra,
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Daemon {
  url: string;
  proc: ChildProcess;
  stderr: string[];
  /** Sends a signal (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `hsmca serve` (or `argv`, e.g. the Docker entrypoint) and resolves when it prints its
 * listening URL on stdout.
 */
export function startDaemon(env: NodeJS.ProcessEnv, argv: string[] = [process.execPath, CLI, 'serve']): Promise<Daemon> {
  const proc = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  readline.createInterface({ input: proc.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${stderr.join('\n')}`)), 30_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}: ${stderr.join('\n')}`));
    });
    readline.createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({
        url: JSON.parse(line).listening,
        proc,
        stderr,
        stop: (signal = 'SIGTERM') => {
          proc.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** The daemon's cluster workers (its child processes), from /proc. */
export function workerPids(d: Daemon): number[] {
  const pid = d.proc.pid!;
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // already gone
  }
}

/** SIGKILL a daemon and its cluster workers at once: a power cut, as far as the process can tell. */
export function killTree(d: Daemon): Promise<number | null> {
  for (const c of workerPids(d)) {
    try {
      process.kill(c, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return d.stop('SIGKILL');
}
