/**
 * `npm run bench`: for CA keys RSA-2048, P-256 and P-384, each on a fresh SoftHSM token and
 * database: the token's raw C_Sign rate with the daemon's processes and sessions; then the BUILT
 * daemon signing intermediates over HTTP keep-alive at concurrency 32 after a 20k-request warm-up
 * (≥ 10 s; P-256 until 100k requests, for memory growth); then, when `cfssl` is installed,
 * `cfssl serve` with a software key of the same type on the same CSR. Prints one table and the
 * ratios. Durability is on (every 200 is a certificate row fdatasync'ed to disk). Also measured
 * the same way as raw: signing plus the two signature checks the contract requires of every
 * request ("sign + checks"), the most a request could reach if nothing else in it cost anything;
 * and the same over a bare node:http server with the same client ("HTTP floor", http-floor.cjs),
 * the most any request on Node's HTTP server could reach with nothing stored or built.
 * Options: --seconds N, --workers N, --only P-256.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClient, runLoad, type LoadResult } from './bench/loadgen';
import { cli, freshToken, opensslCsr, SOFTHSM_MODULE, startListening, startServe, type BenchToken } from './bench/setup';
import { cfsslAvailable, runCfssl } from './bench/cfssl';

interface Case {
  name: string;
  algorithm: string;
  kind: 'EC' | 'RSA';
  /** Run until this many requests, to compare memory at 20k and at the end. */
  minRequests?: number;
}

const CASES: Case[] = [
  { name: 'RSA-2048', algorithm: 'RSA_2048', kind: 'RSA' },
  { name: 'P-256', algorithm: 'EC_prime256v1', kind: 'EC', minRequests: 100_000 },
  { name: 'P-384', algorithm: 'EC_secp384r1', kind: 'EC' },
];

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SECONDS = Number(arg('seconds', '10'));
const WORKERS = Number(arg('workers', String(os.availableParallelism())));
const SESSIONS = 16; // the daemon's default
const CONCURRENCY = 32;
const WARM_REQUESTS = 20_000;

/**
 * Raw C_Sign: WORKERS processes × SESSIONS sessions, like the daemon, for `seconds`. With
 * `checks` (the CA certificate and CSR files), each signature also pays the contract's two
 * signature checks: the least a request must do (raw-sign.cjs).
 */
async function rawSignRate(env: NodeJS.ProcessEnv, pin: string, keyLabel: string, kind: string, seconds: number, checks: string[] = []): Promise<number> {
  const script = path.join(__dirname, 'bench', 'raw-sign.cjs');
  const runs = Array.from({ length: WORKERS }, () => new Promise<number>((resolve, reject) => {
    const p = spawn(process.execPath, [script, SOFTHSM_MODULE, env.HSMCA_PKCS11_TOKEN!, pin, keyLabel, kind, String(SESSIONS), String(seconds), ...checks],
      { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out).count) : reject(new Error(`raw-sign exited ${code}`))));
  }));
  const counts = await Promise.all(runs);
  return counts.reduce((a, b) => a + b, 0) / seconds;
}

/** A sign-intermediate request: the route's path (the CA's id in it), its body and headers. */
interface Request {
  route: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * The bare node:http server of http-floor.cjs on the same token and key, warmed up for 3 s and
 * then loaded like the daemon for `SECONDS`.
 */
async function httpFloorRate(t: BenchToken, keyLabel: string, kind: string, caPem: string, request: Request): Promise<number> {
  // Without the daemon's probe: its files would be counted as the daemon's.
  const env = { ...t.env, NODE_OPTIONS: '', HSMCA_BENCH_PROBE_DIR: '' };
  const script = path.join(__dirname, 'bench', 'http-floor.cjs');
  const floor = await startListening([script, SOFTHSM_MODULE, t.label, t.pin, keyLabel, kind, caPem, String(WORKERS)], env);
  try {
    const load = { url: `${floor.url}${request.route}`, body: request.body, headers: request.headers, concurrency: CONCURRENCY };
    await runLoad({ ...load, seconds: 3 });
    const result = await runLoad({ ...load, seconds: SECONDS });
    if (result.statuses[200] !== result.requests) throw new Error('the HTTP floor answered with an error');
    return result.perSecond;
  } finally {
    await floor.stop();
  }
}

interface Probe { pid: number; p99: number; rssKb: number; hwmKb: number }

function readProbes(dir: string, exclude: number): Probe[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Probe)
    .filter((p) => p.pid !== exclude);
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Row {
  name: string;
  raw: number;
  /** Signatures/s with the two required signature checks each (a ceiling for ours). */
  required: number;
  /** The same over a bare node:http server, requests/s (a ceiling for any server on Node). */
  httpFloor: number;
  ours: LoadResult;
  loopP99: number;
  peakRssMb: number;
  rssGrowth?: number;
  cfssl?: LoadResult;
}

async function runCase(c: Case): Promise<Row> {
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-probe-'));
  const t = freshToken({
    HSMCA_WORKERS: String(WORKERS), HSMCA_PKCS11_SESSIONS: String(SESSIONS),
    HSMCA_BENCH_PROBE_DIR: probeDir, NODE_OPTIONS: `--require ${path.join(__dirname, 'bench', 'probe.cjs')}`,
  });
  const ca = cli(t.env, ['ca', 'create-root', '--name', `bench-${c.name}`, '--key-algorithm', c.algorithm,
    '--common-name', `Bench ${c.name} Root`, '--not-after', '2046-01-01T00:00:00Z']);
  const keyLabel = decodeURIComponent(/object=([^;]*)/.exec(ca.keyRef)![1]);
  const token = cli(t.env, ['token', 'create', '--name', 'bench', '--grant', '*:*']).token;
  const csr = opensslCsr(t.dir);

  const caPem = path.join(t.dir, 'ca.pem');
  fs.writeFileSync(caPem, cli(t.env, ['ca', 'show', ca.id]).certificate.certificate);
  const raw = await rawSignRate(t.env, t.pin, keyLabel, c.kind, 5);
  const required = await rawSignRate(t.env, t.pin, keyLabel, c.kind, 5, [caPem, path.join(t.dir, 'int.csr')]);
  const body = JSON.stringify({ csr, notAfter: '2036-01-01T00:00:00Z', maxPathLength: 0 });
  const headers = { authorization: `Bearer ${token}` };
  const route = `/api/v1/cert-manager/ca/internal/${ca.id}/sign-intermediate`;
  const httpFloor = await httpFloorRate(t, keyLabel, c.kind, caPem, { route, body, headers });
  const server = await startServe(t.env);
  const url = `${server.url}${route}`;
  // Every case is measured after its first 20k requests: V8 is still compiling the hot path for
  // the first tens of seconds (a 3 s warm-up measured RSA ~25 % low), and a daemon runs for months.
  const warm = await runLoad({ url, body, headers, concurrency: CONCURRENCY, seconds: 3 });
  await runLoad({ url, body, headers, concurrency: CONCURRENCY, seconds: Math.ceil(Math.max(0, WARM_REQUESTS - warm.requests) / warm.perSecond) + 1 });
  await settle(1_100);
  // Memory is compared after the warm-up and at the end of the measured run.
  const rssAt20k = c.minRequests ? sum(readProbes(probeDir, server.proc.pid!).map((p) => p.rssKb)) : undefined;
  fs.writeFileSync(path.join(probeDir, 'reset'), String(Date.now()));
  await settle(1_100);
  // With a memory check, long enough to reach `minRequests` in all (the first 20k are done).
  const seconds = Math.max(SECONDS, Math.ceil(Math.max(0, (c.minRequests ?? 0) - WARM_REQUESTS) / warm.perSecond));
  const ours = await runLoad({ url, body, headers, concurrency: CONCURRENCY, seconds });
  await settle(1_100);
  const probes = readProbes(probeDir, server.proc.pid!);
  await server.stop();
  const rssEnd = sum(probes.map((p) => p.rssKb));
  const row: Row = {
    name: c.name, raw, required, httpFloor, ours,
    loopP99: Math.max(...probes.map((p) => p.p99)),
    peakRssMb: Math.max(...probes.map((p) => p.hwmKb)) / 1024,
    rssGrowth: rssAt20k ? rssEnd / rssAt20k - 1 : undefined,
  };
  if (cfsslAvailable()) row.cfssl = await runCfssl({ dir: t.dir, kind: c.name, csr, seconds: SECONDS, concurrency: CONCURRENCY });
  fs.rmSync(t.dir, { recursive: true, force: true });
  fs.rmSync(probeDir, { recursive: true, force: true });
  return row;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const f0 = (x: number): string => x.toFixed(0);
const f2 = (x: number): string => x.toFixed(2);

function print(rows: Row[]): void {
  const lines = [
    `hsmca bench: ${os.cpus().length} CPUs, ${WORKERS} workers × ${SESSIONS} sessions, concurrency ${CONCURRENCY}, client ${loadClient()}, durability on`,
    '| CA key | raw C_Sign/s | sign + checks/s | its /raw | HTTP floor req/s | its /raw | ours req/s | ours/raw | p50 ms | p99 ms | p99/p50 | loop delay p99 ms | peak RSS MB | RSS 20k→end | non-200 | cfssl req/s | ours/cfssl |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const bad = r.ours.requests - (r.ours.statuses[200] ?? 0);
    lines.push(`| ${r.name} | ${f0(r.raw)} | ${f0(r.required)} | ${f2(r.required / r.raw)} | ${f0(r.httpFloor)} | ${f2(r.httpFloor / r.raw)} | ${f0(r.ours.perSecond)} | ${f2(r.ours.perSecond / r.raw)} | ${f2(r.ours.p50)} | ${f2(r.ours.p99)} | `
      + `${f2(r.ours.p99 / r.ours.p50)} | ${f2(r.loopP99)} | ${f0(r.peakRssMb)} | `
      + `${r.rssGrowth === undefined ? '—' : `${(r.rssGrowth * 100).toFixed(1)} % (+${r.ours.requests} req)`} | ${bad} | `
      + `${r.cfssl ? f0(r.cfssl.perSecond) : 'not installed'} | ${r.cfssl ? f2(r.ours.perSecond / r.cfssl.perSecond) : '—'} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const only = arg('only', '');
  const rows: Row[] = [];
  for (const c of CASES.filter((x) => !only || x.name === only)) {
    process.stderr.write(`bench: ${c.name}…\n`);
    rows.push(await runCase(c));
  }
  print(rows);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
