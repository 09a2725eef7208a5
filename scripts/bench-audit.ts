/**
 * `npm run bench:audit`: what the hash chain costs per request. Appends N events to a fresh
 * SQLite file (WAL, synchronous=FULL, as the daemon runs) two ways — a plain INSERT, as before
 * the chain, and the chained append (BEGIN IMMEDIATE, read head, hash, insert) — sequentially
 * and 50 at a time, then times `verify` over the chain. Prints medians side by side; no claim
 * is asserted anywhere (the machine is noisy).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore, type Store } from '../src/store';
import { recordAuditEvent, type AuditFields } from '../src/audit/trail';
import { verifyAuditTrail } from '../src/audit/verify';

const N = Number(process.env.N ?? 2000);
const ROUNDS = 3;

const fields = (i: number): AuditFields => ({
  time: new Date(), reqId: `req-${String(i).padStart(14, '0')}`, identity: 'bench', credential: 'token:x', action: 'sign-intermediate',
  caId: 'ca', target: null, outcome: 'issued', status: 200, serial: 'ab'.repeat(20), csrSha256: 'cd'.repeat(32), client: '127.0.0.1',
});

async function plain(store: Store, i: number): Promise<void> {
  const f = fields(i);
  await store.db.insertInto('audit_events').values({
    seq: i + 1, prev_hash: '', hash: '', time: f.time.toISOString(), req_id: f.reqId, identity: f.identity, credential: f.credential,
    action: f.action, ca_id: f.caId, target: null, outcome: f.outcome, status: f.status, serial: f.serial, csr_sha256: f.csrSha256, client: f.client,
  }).execute();
}

async function timed(kind: 'plain' | 'chained', concurrency: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-bench-'));
  const store = await openSqliteStore(path.join(dir, 'b.db'));
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, N - i) }, (_, k) =>
      (kind === 'plain' ? plain(store, i + k) : recordAuditEvent(store, fields(i + k)).then(() => undefined))));
  }
  const us = Number(process.hrtime.bigint() - started) / 1e3 / N;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return us;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  console.log(`${N} events per run, median of ${ROUNDS} runs, µs per event`);
  for (const concurrency of [1, 50]) {
    const p: number[] = [];
    const c: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      p.push(await timed('plain', concurrency));
      c.push(await timed('chained', concurrency));
    }
    console.log(`concurrency ${String(concurrency).padStart(2)}: plain insert ${median(p).toFixed(0)} µs, chained append ${median(c).toFixed(0)} µs, ratio ${(median(c) / median(p)).toFixed(2)}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-bench-'));
  const store = await openSqliteStore(path.join(dir, 'v.db'));
  for (let i = 0; i < N; i++) await recordAuditEvent(store, fields(i));
  const events = await store.audit.events();
  const started = process.hrtime.bigint();
  const report = verifyAuditTrail(events, [], []);
  console.log(`verify: ${report.events} events in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms (ok=${report.ok})`);
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
