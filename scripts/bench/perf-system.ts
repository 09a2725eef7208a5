/**
 * `tsx scripts/bench/perf-system.ts [--algorithm EC_prime256v1] [--workers 2] [--warmup 20] [--seconds 6]`:
 * where the whole machine's CPU goes per request, not only the daemon's JavaScript. Runs the built
 * daemon under the bench's load and `perf record -a -g` (Linux perf, `apt-get install linux-perf`,
 * as root) for `--seconds` after a warm-up, then sorts every sample, of every thread and process,
 * kernel included, into one bucket and prints µs of CPU per answered request.
 *
 * A sample is classified by the innermost frame that names a known part (SQLite, SoftHSM, the
 * signature check, the collector, …), looking no further out than the first JavaScript frame, so
 * native work a JS function started directly is charged to that work, and JS is JS. Frames of
 * JIT code have no symbols here, so JavaScript shows as one bucket: `profile.ts` splits it.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { runLoad } from './loadgen';
import { cli, CLI, freshToken, opensslCsr } from './setup';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const HZ = 1999;

/** Innermost match wins; order only matters for a frame matching two rules. */
const RULES: Array<[string, RegExp]> = [
  ['garbage collector', /Scavenge|MarkCompact|Heap::|GCTracer|Sweeper|ConcurrentMarking|MinorMC|IncrementalMarking|ArrayBufferSweeper/],
  ['V8 compiler', /v8::internal::compiler::|OptimizingCompileDispatcher|v8::internal::Compiler::|v8::internal::Parser|BaselineBatchCompiler|maglev::/],
  ['SoftHSM (C_SignInit, C_Sign)', /softhsm|pkcs11\.node/],
  ['fdatasync', /fdatasync/],
  ['SQLite', /better_sqlite3/],
  ['signature checks (crypto.verify, besides its arithmetic)', /SignTraits|node::crypto::Verify|EVP_DigestVerify|ossl_ecdsa_verify|ECDSA_do_verify/],
  ['other OpenSSL (hashes, HMAC, EVP set-up in SoftHSM and verify)', /node::crypto::|EVP_|HMAC|sha256_block|sha1_block/],
  ['HTTP parser', /llhttp/],
  ['socket writes', /LibuvStreamWrap::DoTryWrite|uv__try_write|uv_try_write|writev/],
  ['socket reads', /uv__read\b|tcp_recvmsg/],
  ['event loop wait', /epoll_wait|epoll_pwait/],
  ['thread hand-offs (futex, libuv pool)', /futex|uv_cond|uv__work|pthread_cond/],
];

interface Sample { comm: string; frames: string[] }

function* samples(text: string): Generator<Sample> {
  let cur: Sample | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (cur) yield cur;
      cur = undefined;
    } else if (!/^\s/.test(line)) {
      cur = { comm: line.trim().split(/\s+/)[0], frames: [] };
    } else if (cur) {
      const m = /^\s*[0-9a-f]+ (.*) \((.*)\)$/.exec(line);
      if (m) cur.frames.push(`${m[1]} ${m[2]}`);
    }
  }
  if (cur) yield cur;
}

function bucket(s: Sample): string {
  if (s.comm === 'swapper') return 'idle';
  if (s.comm === 'wrk') return 'load generator (wrk)';
  if (s.comm !== 'node') return 'other processes';
  for (const frame of s.frames) {
    const rule = RULES.find(([, re]) => re.test(frame));
    if (rule) return rule[0];
    if (/^(JS:|Builtins_|\[unknown\])/.test(frame)) break;
  }
  const leaf = s.frames[0] ?? '';
  if (/kernel/.test(leaf)) return 'kernel, other';
  if (/^(Builtins_|\[unknown\])/.test(leaf)) return 'JavaScript and V8 builtins';
  if (/libc/.test(leaf)) return 'libc (malloc, memcpy)';
  // OpenSSL's assembly keeps no frame pointer: the stack above it is lost, so this is SoftHSM's
  // signing and crypto.verify's arithmetic together.
  if (/ecp_nistz256|bn_|BN_|mulx4x|sqrx8x/.test(leaf)) return 'EC/RSA arithmetic (signing and verifying)';
  return 'V8 runtime and node internals';
}

async function main(): Promise<void> {
  const t = freshToken({ HSMCA_WORKERS: arg('workers', '2'), HSMCA_PKCS11_SESSIONS: '16' });
  const ca = cli(t.env, ['ca', 'create-root', '--name', 'perf', '--key-algorithm', arg('algorithm', 'EC_prime256v1'),
    '--common-name', 'Perf Root', '--not-after', '2046-01-01T00:00:00Z']);
  const token = cli(t.env, ['token', 'create', '--name', 'perf', '--grant', '*:*']).token;
  const proc = spawn(process.execPath, [CLI, 'serve'], { env: t.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((r) => readline.createInterface({ input: proc.stdout! }).once('line', (l) => r(JSON.parse(l).listening)));
  const load = {
    url: `${url}/api/v1/cert-manager/ca/internal/${ca.id}/sign-intermediate`,
    body: JSON.stringify({ csr: opensslCsr(t.dir), notAfter: '2036-01-01T00:00:00Z', maxPathLength: 0 }),
    headers: { authorization: `Bearer ${token}` }, concurrency: 32,
  };
  await runLoad({ ...load, seconds: Number(arg('warmup', '20')) });
  const seconds = Number(arg('seconds', '6'));
  const data = path.join(t.dir, 'perf.data');
  const recording = spawn('perf', ['record', '-e', 'cpu-clock', '-F', String(HZ), '-a', '-g', '-o', data, '--', 'sleep', String(seconds)], { stdio: 'ignore' });
  const recorded = new Promise((res) => recording.once('exit', res));
  const r = await runLoad({ ...load, seconds: seconds + 2 }); // outlasts the recording
  await recorded;
  proc.kill('SIGTERM');
  await new Promise((res) => proc.once('exit', res));
  const text = execFileSync('perf', ['script', '-i', data, '-F', 'comm,tid,ip,sym,dso'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const counts = new Map<string, number>();
  let total = 0;
  for (const s of samples(text)) {
    const b = bucket(s);
    counts.set(b, (counts.get(b) ?? 0) + 1);
    total++;
  }
  const perSecond = r.requests / r.seconds;
  console.log(`${perSecond.toFixed(0)} req/s, ${os.cpus().length} CPUs: ${(os.cpus().length * 1e6 / perSecond).toFixed(0)} µs of CPU time per request, of which`);
  for (const [name, n] of [...counts.entries()].sort((a, b) => b[1] - a[1])) {
    const us = (n / HZ) * 1e6 / (perSecond * seconds);
    console.log(`${us.toFixed(0).padStart(6)} µs ${(100 * n / total).toFixed(1).padStart(5)} %  ${name}`);
  }
  fs.rmSync(t.dir, { recursive: true, force: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
