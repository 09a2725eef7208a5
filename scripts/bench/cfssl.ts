/**
 * cfssl 1.2 (Debian `golang-cfssl`) as the yardstick: `cfssl serve` with a software CA key of
 * the same type (made by openssl here, in the benchmark's scratch directory: cfssl has no
 * PKCS#11 in Debian's build), signing the same CSR as an intermediate over HTTP keep-alive.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runLoad, type LoadResult } from './loadgen';

export const cfsslAvailable = (): boolean => spawnSync('cfssl', ['version'], { stdio: 'ignore' }).status === 0;

const KEYGEN: Record<string, string[]> = {
  'RSA-2048': ['-newkey', 'rsa:2048'],
  'P-256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'P-384': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
};

const CONFIG = {
  signing: {
    default: {
      expiry: '43800h',
      usages: ['cert sign', 'crl sign', 'digital signature'],
      ca_constraint: { is_ca: true, max_path_len: 0, max_path_len_zero: true },
    },
  },
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), resolve(true))).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('cfssl serve did not start');
}

export async function runCfssl(o: { dir: string; kind: string; csr: string; seconds: number; concurrency: number }): Promise<LoadResult> {
  const dir = path.join(o.dir, 'cfssl');
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('openssl', ['req', '-x509', ...KEYGEN[o.kind], '-nodes', '-keyout', path.join(dir, 'ca.key'),
    '-out', path.join(dir, 'ca.pem'), '-subj', `/CN=cfssl bench ${o.kind} root`, '-days', '3650'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(CONFIG));
  const port = await freePort();
  // -loglevel 2 (warnings): like our daemon in the benchmark, no log line per request.
  const proc = spawn('cfssl', ['serve', '-address', '127.0.0.1', '-port', String(port), '-loglevel', '2',
    '-ca', path.join(dir, 'ca.pem'), '-ca-key', path.join(dir, 'ca.key'), '-config', path.join(dir, 'config.json')],
  { stdio: 'ignore' });
  try {
    await waitForPort(port);
    const url = `http://127.0.0.1:${port}/api/v1/cfssl/sign`;
    const body = JSON.stringify({ certificate_request: o.csr });
    await runLoad({ url, body, concurrency: o.concurrency, seconds: 2 });
    return await runLoad({ url, body, concurrency: o.concurrency, seconds: o.seconds });
  } finally {
    proc.kill('SIGTERM');
  }
}
