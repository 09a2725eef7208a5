/**
 * `npm run fuzz [-- --count N --seconds S --concurrency C --seed X]`: the long hostile-input
 * campaign against the BUILT daemon on a fresh SoftHSM token. Prints progress and one summary
 * line; saves each failing case under test/fixtures/fuzz/ (replayed by `npm test`); exits 1 on
 * any failure. Invariants: see test/fuzz/invariants.ts, plus the daemon stays up, its RSS stays
 * bounded, and certificate rows equal the 200s of sign-intermediate.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { daemonEnv, runCli, startDaemon } from '../test/helpers/daemon';
import { createSoftHsmToken } from '../test/helpers/softhsm';
import { checkResponse, issued } from '../test/fuzz/invariants';
import { requestArb, type FuzzContext, type FuzzRequest } from '../test/fuzz/requests';
import { send } from '../test/fuzz/send';
import { derOf, opensslCsr } from '../test/helpers/csr-factory';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const COUNT = arg('count', 1_000_000);
const SECONDS = arg('seconds', 3600);
const CONCURRENCY = arg('concurrency', 32);
const SEED = arg('seed', Date.now() % 2 ** 31);
const FIXTURES = path.resolve(__dirname, '../test/fixtures/fuzz');

/** RSS of the daemon: the primary and its cluster workers, in MB. */
const rssMb = (pid: number): number => {
  const one = (p: string): number => {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  };
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return [String(pid), ...children].reduce((sum, p) => sum + one(p), 0);
};

function save(req: FuzzRequest, ctx: FuzzContext, why: string): string {
  fs.mkdirSync(FIXTURES, { recursive: true });
  const generic = JSON.parse(JSON.stringify(req).split(ctx.caId).join('{caId}').split(ctx.token).join('{token}'));
  const name = crypto.createHash('sha256').update(JSON.stringify(generic)).digest('hex').slice(0, 16);
  fs.writeFileSync(path.join(FIXTURES, `${name}.json`), `${JSON.stringify({ ...generic, why }, null, 2)}\n`);
  return name;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-fuzz-'));
  const env = daemonEnv(createSoftHsmToken(), path.join(dir, 'hsmca.db'), { HSMCA_LOG_LEVEL: 'error' });
  const caId = JSON.parse(runCli(['ca', 'create-root', '--name', 'fuzz', '--key-algorithm', 'EC_prime256v1',
    '--common-name', 'Fuzz Root', '--not-after', '2040-01-01T00:00:00Z', '--max-path-length', '2'], env).stdout).id;
  const token = JSON.parse(runCli(['token', 'create', '--name', 'fuzz', '--grant', `sign-intermediate:${caId}`,
    '--grant', `read:${caId}`], env).stdout).token;
  const daemon = await startDaemon(env);
  const { csr } = opensslCsr('P-256', { subject: '/O=fuzz/CN=Fuzz Intermediate' });
  const first = await (await fetch(`${daemon.url}/api/v1/cert-manager/ca/internal/${caId}/sign-intermediate`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ csr, notAfter: '2030-01-01T00:00:00Z' }),
  })).json() as { serialNumber: string };
  const ctx: FuzzContext = { caId, token, csrDer: derOf(csr), serial: first.serialNumber };
  const base = new URL(daemon.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const pid = daemon.proc.pid!;
  const rssStart = rssMb(pid);
  let rssMax = rssStart;
  let tried = 0;
  let failures = 0;
  let ok = 1;
  const started = Date.now();
  let lastReport = started;
  console.error(`fuzz: seed ${SEED}, up to ${COUNT} requests or ${SECONDS} s, concurrency ${CONCURRENCY}, daemon pid ${pid}`);

  for (let batch = 0; tried < COUNT && Date.now() - started < SECONDS * 1000; batch++) {
    const cases = fc.sample(requestArb(ctx), { numRuns: Math.min(2000, COUNT - tried), seed: SEED + batch });
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < cases.length) {
        const req = cases[next++];
        try {
          const res = await send(base, agent, req);
          if (res) {
            checkResponse(req, res);
            ok += issued(req, res);
          }
        } catch (e) {
          failures++;
          console.error(`FAIL ${save(req, ctx, String((e as Error).message).slice(0, 500))}: ${(e as Error).message.slice(0, 200)}`);
        }
        tried++;
      }
    }));
    rssMax = Math.max(rssMax, rssMb(pid));
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      const s = (lastReport - started) / 1000;
      console.error(`fuzz: ${tried} tried, ${failures} failures, ${(tried / s).toFixed(0)} req/s, daemon RSS ${rssMb(pid).toFixed(0)} MB`);
    }
  }
  const alive = (await fetch(`${daemon.url}/healthz`)).status === 200;
  const db = new SQLite(env.HSMCA_DATABASE!, { readonly: true });
  const rows = (db.prepare('SELECT count(*) AS n FROM certificates').get() as { n: number }).n;
  db.close();
  const rssEnd = rssMb(pid);
  await daemon.stop('SIGTERM');
  agent.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (!alive) failures++;
  if (rows !== ok) failures++;
  console.log(`fuzz: ${tried} requests in ${secs} s, ${failures} failures, ${ok} issued = ${rows} certificate rows, `
    + `daemon ${alive ? 'up' : 'DOWN'}, RSS ${rssStart.toFixed(0)} → ${rssEnd.toFixed(0)} MB (max ${rssMax.toFixed(0)} MB), seed ${SEED}`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
