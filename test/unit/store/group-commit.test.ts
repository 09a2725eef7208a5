import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { chainLink, recordAuditEvent } from '../../../src/audit/trail';
import { verifyAuditTrail } from '../../../src/audit/verify';
import { DuplicateSerialError, openSqliteStore, type CertificateRow, type Store } from '../../../src/store';
import { BatchWriter } from '../../../src/store/batch-writer';
import { AppError } from '../../../src/errors';

function cert(serial: string): CertificateRow {
  return {
    id: crypto.randomUUID(), ca_id: 'ca-1', serial, kind: 'intermediate', subject: 'CN=x',
    not_before: '2030-01-01T00:00:00.000Z', not_after: '2031-01-01T00:00:00.000Z', der: 'AA==', sha256: '00',
    identity: 't', req_id: 'req-00000000000000', created_at: '2030-01-01T00:00:00.000Z', revoked_at: null, revocation_reason: null,
  };
}

describe('store group commit', () => {
  let dir: string;
  let store: Store;
  let file: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-gc-'));
    file = path.join(dir, 'db.sqlite');
    store = await openSqliteStore(file);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commits concurrent writes together and each is visible to another connection once it resolves', async () => {
    const before = { ...store.writer.stats };
    const other = new SQLite(file, { readonly: true });
    try {
      await Promise.all(Array.from({ length: 200 }, async (_, i) => {
        await store.insertCertificate(cert(`s${i}`));
        // Resolved means committed: a separate connection sees the row.
        assert.ok(other.prepare('SELECT 1 FROM certificates WHERE serial = ?').get(`s${i}`));
      }));
    } finally {
      other.close();
    }
    const batches = store.writer.stats.batches - before.batches;
    assert.equal(store.writer.stats.jobs - before.jobs, 200);
    assert.ok(batches < 20, `200 concurrent writes took ${batches} commits`);
  });

  it('rolls back a failing write alone; the rest of its batch commits', async () => {
    await store.insertCertificate(cert('dup'));
    const results = await Promise.allSettled([
      store.insertCertificate(cert('a')),
      store.insertCertificate(cert('dup')),
      store.write(async (tx) => {
        await tx.insertInto('certificates').values(cert('half')).execute();
        throw new Error('job failed after writing');
      }),
      store.insertCertificate(cert('b')),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof DuplicateSerialError);
    assert.equal(await store.countCertificates(), 3); // dup, a, b — not 'half'
  });

  it('a batch that re-runs with savepoints after a failure keeps one unbroken audit chain', async () => {
    const event = (i: number) => ({
      time: new Date(), reqId: `req-${String(i).padStart(14, '0')}`, identity: 'w', credential: 'token:x', action: 'sign-intermediate',
      caId: null, target: null, outcome: 'issued' as const, status: 200, serial: null, csrSha256: null, client: '127.0.0.1',
    });
    const results = await Promise.allSettled([
      ...Array.from({ length: 5 }, (_, i) => recordAuditEvent(store, event(i))),
      store.insertCertificate(cert('c1'), chainLink({ ...event(99), serial: 'c1' })),
      store.write(async () => { throw new Error('a job that fails'); }),
      ...Array.from({ length: 5 }, (_, i) => recordAuditEvent(store, event(10 + i))),
    ]);
    assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
    const events = await store.listAuditEvents();
    assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 11 }, (_, i) => i + 1));
    assert.equal(verifyAuditTrail(events, [], []).ok, true);
    assert.equal(events.filter((e) => e.serial === 'c1').length, 1);
    assert.equal(await store.countCertificates(), 1);
  });

  it('waits for a write lock another connection holds with the event loop running, then commits', async () => {
    const other = new SQLite(file);
    other.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const started = Date.now();
      const first = store.insertCertificate(cert('w1'));
      await new Promise((r) => setTimeout(r, 150));
      // Queued while the first waits: joins its batch.
      const second = store.insertCertificate(cert('w2'));
      await new Promise((r) => setTimeout(r, 150));
      // SQLite's busy handler would have held the loop in the first write's BEGIN all along.
      assert.ok(ticks >= 20, `only ${ticks} timer ticks while the lock was held`);
      other.exec('COMMIT');
      await Promise.all([first, second]);
      assert.ok(Date.now() - started >= 300);
      assert.equal(await store.countCertificates(), 2);
    } finally {
      clearInterval(timer);
      other.close();
    }
  });

  it('gives up on a write lock held longer than its wait, with SQLite\'s busy error', async () => {
    const sqlite = new SQLite(path.join(dir, 'plain.sqlite'));
    sqlite.exec('CREATE TABLE t (x INTEGER)');
    const db = new Kysely<{ t: { x: number } }>({ dialect: new SqliteDialect({ database: sqlite }) });
    const other = new SQLite(path.join(dir, 'plain.sqlite'));
    other.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 0');
    const begin = sqlite.prepare('BEGIN IMMEDIATE');
    const writer = new BatchWriter(db, { beginNow: () => begin.run(), lockWaitMs: 200 });
    try {
      other.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      await assert.rejects(writer.run((tx) => tx.insertInto('t').values({ x: 1 }).execute()), (e: { code?: string }) => e.code === 'SQLITE_BUSY');
      assert.ok(Date.now() - started >= 200);
      other.exec('COMMIT');
      await writer.run((tx) => tx.insertInto('t').values({ x: 2 }).execute());
      assert.deepEqual(other.prepare('SELECT x FROM t').all(), [{ x: 2 }]);
    } finally {
      other.close();
      await db.destroy();
    }
  });

  it('a write lock held past the wait is a 503 (Unavailable), and writes go on once it is free', async function () {
    this.timeout(20_000);
    const other = new SQLite(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(store.insertCertificate(cert('late')), (e: unknown) => e instanceof AppError && e.kind === 'Unavailable' && e.status === 503);
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    await store.insertCertificate(cert('after'));
    assert.equal(await store.countCertificates(), 1);
  });

  it('keeps what was written across a close and re-open', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.insertCertificate(cert(`k${i}`))));
    await store.close();
    store = await openSqliteStore(file);
    assert.equal(await store.countCertificates(), 20);
  });
});
