/**
 * `tsx scripts/bench/instructions.ts [--algorithm EC_prime256v1] [--warmup 5000] [--requests 500]`:
 * the CPU instructions one sign-intermediate costs the daemon's worker process (every thread:
 * event loop, signing thread, collector, SoftHSM), counted by valgrind's callgrind (Debian
 * `valgrind`). Counts do not depend on what else the machine is doing: totals repeat to ±1.5 %
 * (V8's compiler and collector vary), each part a change touches much closer, where requests/s
 * on this 2-core VM move by ±25 %
 * (HSMCA_BENCH_CLI=<build>/dist/cli.js for another build). Slow: ~4 minutes a run. Kernel work
 * (sockets, fdatasync) is not counted: `perf-system.ts` sees it. Nor is OpenSSL's arithmetic
 * counted as it runs natively: OpenSSL picks its code paths by CPU feature, and valgrind's virtual
 * CPU lacks some of this one's, so a P-256 verification counts ~900k instructions here for 64 µs
 * natively. Compare builds with this; weigh crypto against the rest with `perf-system.ts`.
 *
 * The worker runs uninstrumented through the warm-up (V8 compiles the hot path meanwhile), then
 * is counted over exactly `--requests` requests sent by a closed-loop client outside valgrind,
 * and the count is split by part, by the function (or ELF object) the instructions ran in.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { cli, CLI, freshToken, opensslCsr } from './setup';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

/** Sends exactly `n` requests, 16 at a time on keep-alive connections; every answer must be a 200. */
async function send(url: URL, body: string, headers: Record<string, string>, n: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const one = (): Promise<void> => new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  let started = 0;
  const loop = async (): Promise<void> => { while (started++ < n) await one(); };
  await Promise.all(Array.from({ length: 16 }, loop));
  agent.destroy();
}

function workerPid(primary: number): number {
  const kids = fs.readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (kids.length !== 1) throw new Error(`expected one worker process, found ${kids.length}`);
  return Number(kids[0]);
}

/** The first rule that a function's name, or its ELF object, matches names its part. */
const PARTS: Array<[string, RegExp]> = [
  ['public-key arithmetic (SoftHSM signing, crypto.verify)', /ecp_nistz256|rsaz_|_mont|sqr8x|mul4x|^BN_|^bn_|ec_GFp|EC_POINT|ecdsa|ossl_ec|^RSA_|rsa_ossl|ossl_rsa/i],
  ['hashes (SHA-256, SHA-1, HMAC)', /sha1_|sha256|SHA1|SHA256|HMAC|sha512/],
  ['other OpenSSL', /^EVP_|^OSSL_|^ossl_|^CRYPTO_|^OPENSSL_|^ASN1_|^ERR_|^evp_|^X509|^PEM_|^RSA|^rsa_/],
  ['V8 compiler', /v8::internal::compiler::|v8::internal::maglev::|v8::internal::Compiler|v8::internal::Parser|BytecodeGenerator|v8::internal::interpreter::/],
  ['garbage collector', /Scavenge|Marking|Sweeper|v8::internal::Heap::|cppgc|heap::base::|GCTracer|Evacuat|MemoryAllocator|ArrayBufferSweeper/],
  ['JSON', /Json(Stringifier|Parser)/],
  ['V8 builtins (JS runtime functions, ICs)', /^Builtins_/],
  ['SQLite', /\[better_sqlite3\.node\]|sqlite3/],
  ['SoftHSM besides its arithmetic', /\[libsofthsm2\.so\]/],
  ['malloc, memcpy, libc', /\[libc\.so\.6\]|\[libstdc\+\+/],
  ['JIT-compiled JavaScript', /\[\?\?\?\]/],
  ['V8 runtime, node, libuv', /\[node\]/],
];

/**
 * Instructions by part, from a callgrind dump. `ob=`/`fn=` lines name the object and function of
 * the cost lines that follow; a name is given once, at its first mention (which may be in a
 * `cob=`/`cfn=`, about a callee). The cost line after `calls=` is a call's inclusive cost: skipped.
 */
function byPart(file: string): Map<string, number> {
  const objects = new Map<string, string>();
  const functions = new Map<string, string>();
  const totals = new Map<string, number>();
  let object = '???';
  let fn = '';
  let part = 'other';
  let inCall = false;
  const classify = (): string => {
    const key = `${fn} [${object}]`;
    return PARTS.find(([, re]) => re.test(key) || re.test(fn))?.[0] ?? 'other';
  };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const ob = /^(c?)ob=\((\d+)\)(?: (.*))?$/.exec(line);
    if (ob) {
      if (ob[3]) objects.set(ob[2], path.basename(ob[3]));
      if (!ob[1]) object = objects.get(ob[2]) ?? '???';
      continue;
    }
    const f = /^(c?)fn=\((\d+)\)(?: (.*))?$/.exec(line);
    if (f) {
      if (f[3]) functions.set(f[2], f[3]);
      if (!f[1]) {
        fn = functions.get(f[2]) ?? '';
        part = classify();
      }
      continue;
    }
    if (line.startsWith('calls=')) { inCall = true; continue; }
    const cost = /^(?:[+-]?\d+|\*) (\d+)$/.exec(line);
    if (!cost) continue;
    if (inCall) { inCall = false; continue; }
    totals.set(part, (totals.get(part) ?? 0) + Number(cost[1]));
  }
  return totals;
}

function report(label: string, dump: string, n: number): void {
  const totals = byPart(dump);
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  console.log(`${label}: ${(all / n / 1000).toFixed(0)}k instructions per request (${n} requests)`);
  for (const [part, ir] of [...totals.entries()].sort((a, b) => b[1] - a[1])) {
    console.log(`${(ir / n / 1000).toFixed(0).padStart(8)}k ${(100 * ir / all).toFixed(1).padStart(5)} %  ${part}`);
  }
}

async function main(): Promise<void> {
  // `--dump <callgrind.out> --requests N`: split an earlier run's dump again.
  if (process.argv.includes('--dump')) return report(arg('dump', ''), arg('dump', ''), Number(arg('requests', '500')));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-callgrind-'));
  const t = freshToken({ HSMCA_WORKERS: '1', HSMCA_PKCS11_SESSIONS: '16' });
  const ca = cli(t.env, ['ca', 'create-root', '--name', 'ir', '--key-algorithm', arg('algorithm', 'EC_prime256v1'),
    '--common-name', 'Instructions Root', '--not-after', '2046-01-01T00:00:00Z']);
  const token = cli(t.env, ['token', 'create', '--name', 'ir', '--grant', '*:*']).token;
  const csr = opensslCsr(t.dir);
  const proc = spawn('valgrind', ['--tool=callgrind', '--trace-children=yes', '--instr-atstart=no',
    `--callgrind-out-file=${dir}/cg.%p`, process.execPath, CLI, 'serve'], { env: t.env, stdio: ['ignore', 'pipe', 'ignore'] });
  const listening = await new Promise<string>((r) => readline.createInterface({ input: proc.stdout! }).once('line', (l) => r(JSON.parse(l).listening)));
  const url = new URL(`${listening}/api/v1/cert-manager/ca/internal/${ca.id}/sign-intermediate`);
  const body = JSON.stringify({ csr, notAfter: '2036-01-01T00:00:00Z', maxPathLength: 0 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const worker = workerPid(proc.pid!);
  await send(url, body, headers, Number(arg('warmup', '5000')));
  const control = (...a: string[]): void => { execFileSync('callgrind_control', [...a, String(worker)], { stdio: 'ignore' }); };
  control('-z');
  control('-i', 'on');
  const n = Number(arg('requests', '500'));
  await send(url, body, headers, n);
  control('-i', 'off');
  control('-d');
  const dumps = fs.readdirSync(dir).filter((f) => f.startsWith(`cg.${worker}.`));
  if (dumps.length !== 1) throw new Error(`expected one dump of the worker, found ${dumps.join(', ')}`);
  report(`${CLI}, worker ${worker}`, path.join(dir, dumps[0]), n);
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}
main().catch((e) => { console.error(e); process.exit(1); });
