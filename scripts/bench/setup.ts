/**
 * What one benchmark round needs: a fresh SoftHSM token and SQLite file, a root CA whose key was
 * generated in that token by the built CLI, a bearer token, and a CSR made by `openssl req`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { randomBytes } from 'node:crypto';

export const ROOT = path.resolve(__dirname, '../..');
/** The built CLI; HSMCA_BENCH_CLI points the scripts at another build (e.g. a baseline's, for A/B runs). */
export const CLI = process.env.HSMCA_BENCH_CLI ?? path.join(ROOT, 'dist/cli.js');
export const SOFTHSM_MODULE = process.env.SOFTHSM2_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

export interface BenchToken {
  dir: string;
  env: NodeJS.ProcessEnv;
  label: string;
  pin: string;
}

/** A fresh SoftHSM token in its own directory, and the daemon's environment for it. */
export function freshToken(extraEnv: Record<string, string> = {}): BenchToken {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-bench-'));
  fs.mkdirSync(path.join(dir, 'tokens'));
  const conf = path.join(dir, 'softhsm2.conf');
  fs.writeFileSync(conf, `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const label = 'bench';
  const pin = randomBytes(8).toString('hex');
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', randomBytes(8).toString('hex')],
    { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'ignore' });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME, SOFTHSM2_CONF: conf,
    HSMCA_PKCS11_MODULE: SOFTHSM_MODULE, HSMCA_PKCS11_TOKEN: label, HSMCA_PKCS11_PIN: pin,
    HSMCA_TOKEN_PEPPER: randomBytes(32).toString('hex'),
    HSMCA_DATABASE: path.join(dir, 'hsmca.db'), HSMCA_LISTEN: '127.0.0.1:0', HSMCA_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  return { dir, env, label, pin };
}

/** Runs the built CLI and parses its JSON result. */
export function cli(env: NodeJS.ProcessEnv, args: string[]): any {
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}

/** A PKCS#10 CSR from `openssl req` for a fresh P-256 key (the requested intermediate). */
export function opensslCsr(dir: string): string {
  const key = path.join(dir, 'int.key');
  const csr = path.join(dir, 'int.csr');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-subj', '/O=hsmca bench/CN=Bench Intermediate CA', '-out', csr], { stdio: 'ignore' });
  return fs.readFileSync(csr, 'utf8');
}

export interface Server {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `hsmca serve` and waits for its `{"listening": URL}` line. */
export const startServe = (env: NodeJS.ProcessEnv): Promise<Server> => startListening([CLI, 'serve'], env);

/**
 * Starts a Node.js script (node flags first, if any) that prints `{"listening": URL}` when it
 * serves, and waits for that line; other lines before it (e.g. `--trace-gc`'s) are skipped.
 */
export function startListening(args: string[], env: NodeJS.ProcessEnv): Promise<Server> {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const script = path.basename(args.find((a) => !a.startsWith('-')) ?? 'node');
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"listening"')) return;
      resolve({
        url: JSON.parse(line).listening,
        proc,
        stop: async () => {
          proc.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
