import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { chainLink, recordAuditEvent } from '../../../src/audit/trail';
import { verifyAuditTrail } from '../../../src/audit/verify';
import { DuplicateSerialError, openSqliteStore, type CertificateRow, type Store } from '../../../src/store';

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

  it('keeps what was written across a close and re-open', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.insertCertificate(cert(`k${i}`))));
    await store.close();
    store = await openSqliteStore(file);
    assert.equal(await store.countCertificates(), 20);
  });
});
