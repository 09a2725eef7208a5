/**
 * `tsx scripts/bench/profile.ts [--algorithm EC_prime256v1] [--seconds 8] [--workers 1]`: the built
 * daemon under `node --cpu-prof` on a fresh token, loaded by the bench's client; prints the CPU
 * time per request of every daemon process (from /proc) and the top self-time functions.
 * `--no-prof` measures without the profiler; HSMCA_BENCH_CLI=<build>/dist/cli.js runs another
 * build (A/B), HSMCA_BENCH_NODE_OPTIONS passes NODE_OPTIONS to the daemon, HSMCA_BENCH_SESSIONS
 * the sessions per worker (default 16, the daemon's), HSMCA_BENCH_SIGN_THREADS its signing
 * threads (default 1, the daemon's), HSMCA_BENCH_EXEC_ARGS node flags NODE_OPTIONS refuses
 * (e.g. `--single-threaded-gc`; the workers inherit them), HSMCA_BENCH_DAEMON_OUT a file for the
 * daemon's stdout (e.g. with `--trace-gc`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad } from './loadgen';
import { cli, CLI, freshToken, opensslCsr, startListening } from './setup';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

/** [user, system] CPU of a process, in clock ticks (100 Hz). */
function cpuTicks(pid: number): [number, number] {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [Number(f[11]), Number(f[12])];
}
function children(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
}

interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; id: number; hitCount?: number }

function top(file: string, requests: number, n = 40): string {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  prof.samples.forEach((id, i) => {
    const fr = byId.get(id)!.callFrame;
    const key = `${fr.functionName || '(anon)'} ${fr.url.replace(/^.*node_modules\//, 'nm/').replace(/^.*\/dist\//, 'dist/')}:${fr.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (prof.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFile = new Map<string, number>();
  for (const [k, us] of self) {
    const file = k.split(' ')[1].replace(/:\d+$/, '').replace(/^nm\/(@[^/]+\/[^/]+|[^/]+)\/.*$/, 'nm/$1');
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const files = [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30)
    .map(([k, us]) => `${(us / requests).toFixed(1).padStart(7)} µs/req ${(100 * us / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
  return `total ${(total / requests).toFixed(0)} µs/req sampled\n-- by file --\n${files}\n-- by function --\n` + [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, us]) => `${(us / requests).toFixed(1).padStart(7)} µs/req ${(100 * us / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-prof-'));
  const t = freshToken({ HSMCA_WORKERS: arg('workers', '1'), HSMCA_PKCS11_SESSIONS: process.env.HSMCA_BENCH_SESSIONS ?? '16',
    HSMCA_PKCS11_SIGN_THREADS: process.env.HSMCA_BENCH_SIGN_THREADS ?? '1', NODE_OPTIONS: process.env.HSMCA_BENCH_NODE_OPTIONS ?? '' });
  const ca = cli(t.env, ['ca', 'create-root', '--name', 'prof', '--key-algorithm', arg('algorithm', 'EC_prime256v1'),
    '--common-name', 'Prof Root', '--not-after', '2046-01-01T00:00:00Z']);
  const token = cli(t.env, ['token', 'create', '--name', 'prof', '--grant', '*:*']).token;
  const csr = opensslCsr(t.dir);
  const flags = (process.env.HSMCA_BENCH_EXEC_ARGS ?? '').split(' ').filter(Boolean);
  const prof = [...flags, ...(process.argv.includes('--no-prof') ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`])];
  const server = await startListening([...prof, CLI, 'serve'], t.env);
  const { url, proc } = server;
  if (process.env.HSMCA_BENCH_DAEMON_OUT) proc.stdout!.pipe(fs.createWriteStream(process.env.HSMCA_BENCH_DAEMON_OUT));
  const body = JSON.stringify({ csr, notAfter: '2036-01-01T00:00:00Z', maxPathLength: 0 });
  const headers = { authorization: `Bearer ${token}` };
  const target = `${url}/api/v1/cert-manager/ca/internal/${ca.id}/sign-intermediate`;
  const WARM = Number(arg('warmup', '3'));
  await runLoad({ url: target, body, headers, concurrency: 32, seconds: WARM });
  const pids = [proc.pid!, ...children(proc.pid!)];
  const before = pids.map(cpuTicks);
  const r = await runLoad({ url: target, body, headers, concurrency: 32, seconds: Number(arg('seconds', '8')) });
  const after = pids.map(cpuTicks);
  console.log(`${r.perSecond.toFixed(0)} req/s, ${r.requests} requests, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, statuses ${JSON.stringify(r.statuses)}`);
  const per = (ticks: number): string => (ticks * 10_000 / r.requests).toFixed(0);
  pids.forEach((p, i) => {
    const [user, sys] = [after[i][0] - before[i][0], after[i][1] - before[i][1]];
    console.log(`pid ${p}: ${per(user + sys)} µs CPU per request (user ${per(user)}, system ${per(sys)})`);
  });
  await server.stop();
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    if (fs.statSync(p).size < 200_000) continue; // the idle primary
    console.log(`\n${f} (µs per request include the warm-up's share)\n${top(p, r.requests * (1 + WARM / Number(arg('seconds', '8'))))}`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
