/**
 * `tsx scripts/bench/wal-pages.ts`: how many bytes of WAL (pages the group commit must write) one
 * issuance costs: on the schema before migration 005 (two random serial indexes) with random (v4)
 * certificate ids, and on the current schema with random and with time-ordered (v7) ids. Rows shaped like a P-256 intermediate's, 4 issuances per commit (what the daemon's group
 * commit gathers at concurrency 32), after 30k rows already stored. Counts bytes, not time, so it
 * is exact on a noisy machine.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from '../../src/store/migrations';
import { timeOrderedUuid } from '../../src/time-ordered-id';

const PER_COMMIT = 4;
const hex = (n: number): string => crypto.randomBytes(n).toString('hex');

/** A database with the daemon's migrations up to and including `last`. */
async function schema(file: string, last: string): Promise<void> {
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
  const all = await migrationProvider('sqlite').getMigrations();
  const some = Object.fromEntries(Object.entries(all).filter(([name]) => name <= last));
  const r = await new Migrator({ db, provider: { getMigrations: async () => some } }).migrateToLatest();
  await db.destroy();
  if (r.error) throw r.error;
}

async function walBytesPerIssuance(last: string, id: () => string): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-wal-'));
  const file = path.join(dir, 'hsmca.db');
  await schema(file, last);
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  const cert = db.prepare(`INSERT INTO certificates (id, ca_id, serial, kind, subject, not_before, not_after, der, sha256,
    identity, req_id, created_at) VALUES (?, 'ca-1', ?, 'intermediate', 'CN=Bench Intermediate CA,O=hsmca bench', ?, ?, ?, ?, 'token:1', ?, ?)`);
  const audit = db.prepare(`INSERT INTO audit_events (prev_hash, hash, time, req_id, identity, credential, action, ca_id,
    outcome, status, serial, csr_sha256, client) VALUES (?, ?, ?, ?, 'bench', 'token:1', 'sign-intermediate', 'ca-1', 'issued', 200, ?, ?, '127.0.0.1')`);
  const der = crypto.randomBytes(650).toString('base64');
  const commit = db.transaction(() => {
    for (let i = 0; i < PER_COMMIT; i++) {
      const serial = hex(20);
      const now = new Date().toISOString();
      cert.run(id(), serial, now, now, der, hex(32), hex(8), now);
      audit.run(hex(32), hex(32), now, hex(8), serial, hex(32));
    }
  });
  const issue = (n: number): void => { for (let i = 0; i < n; i += PER_COMMIT) commit(); };
  issue(30_000);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const N = 8_000;
  issue(N);
  const bytes = fs.statSync(`${file}-wal`).size;
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return bytes / N;
}

async function main(): Promise<void> {
  const before = await walBytesPerIssuance('004', () => crypto.randomUUID());
  const v4 = await walBytesPerIssuance('999', () => crypto.randomUUID());
  const v7 = await walBytesPerIssuance('999', () => timeOrderedUuid());
  const kb = (x: number): string => `${(x / 1024).toFixed(1)} KiB`;
  console.log(`WAL written per issuance, ${PER_COMMIT} issuances per commit:
  schema 004, random ids:        ${kb(before)}
  schema 005, random ids:        ${kb(v4)} (${(v4 / before).toFixed(2)})
  schema 005, time-ordered ids:  ${kb(v7)} (${(v7 / before).toFixed(2)})`);
}
main().catch((e) => { console.error(e); process.exit(1); });
