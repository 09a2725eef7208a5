/**
 * Migration 005 replaces the two serial indexes of a 004 database (unique (ca_id, serial) and
 * (serial)) by one unique (serial, ca_id), rebuilding SQLite's table: no row or revocation is
 * lost, a duplicate serial for one issuer is still refused, and look-ups by serial use the index.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from '../../../src/store/migrations';
import { DuplicateSerialError, openSqliteStore, type CertificateRow } from '../../../src/store';

const row = (caId: string, serial: string, revoked = false): CertificateRow => ({
  id: crypto.randomUUID(), ca_id: caId, serial, kind: 'intermediate', subject: 'CN=x',
  not_before: '2030-01-01T00:00:00.000Z', not_after: '2031-01-01T00:00:00.000Z', der: 'AA==', sha256: '00',
  identity: 't', req_id: 'req-00000000000000', created_at: '2030-01-01T00:00:00.000Z',
  revoked_at: revoked ? '2030-06-01T00:00:00.000Z' : null, revocation_reason: revoked ? 'keyCompromise' : null,
});

describe('store: migration 005 (one serial index)', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-mig5-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('carries a 004 database over with every row, and still refuses a duplicate serial per issuer', async () => {
    const file = path.join(dir, 'v4.db');
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    const all = await migrationProvider('sqlite').getMigrations();
    const upTo004 = Object.fromEntries(Object.entries(all).filter(([name]) => name < '005'));
    assert.equal((await new Migrator({ db, provider: { getMigrations: async () => upTo004 } }).migrateToLatest()).error, undefined);
    const old = [row('ca-a', 'aa'.repeat(20)), row('ca-b', 'aa'.repeat(20)), row('ca-a', 'bb'.repeat(20), true)];
    await db.insertInto('certificates').values(old).execute();
    await db.destroy();

    const store = await openSqliteStore(file);
    try {
      assert.deepEqual(store.appliedMigrations, ['005-one-serial-index']);
      const rows = await store.db.selectFrom('certificates').selectAll().orderBy('serial').orderBy('ca_id').execute();
      assert.deepEqual(rows, [...old].sort((x, y) => (x.serial + x.ca_id).localeCompare(y.serial + y.ca_id)));
      assert.equal((await store.findCertificates('aa'.repeat(20))).length, 2, 'by serial, any issuer');
      assert.equal((await store.getCertificateBySerial('ca-a', 'bb'.repeat(20)))?.revocation_reason, 'keyCompromise');
      await assert.rejects(store.insertCertificate(row('ca-b', 'aa'.repeat(20))), DuplicateSerialError);
      await store.insertCertificate(row('ca-c', 'aa'.repeat(20)));
      const indexes = await store.db.selectFrom('sqlite_master' as any).select(['name' as any])
        .where('tbl_name' as any, '=', 'certificates').where('type' as any, '=', 'index').execute();
      assert.deepEqual(indexes.map((i: any) => i.name).sort(), ['certificates_serial_issuer', 'sqlite_autoindex_certificates_1']);
    } finally {
      await store.close();
    }
  });

  it('looks serials up through the one index', () => {
    const file = path.join(dir, 'v4.db');
    const db = new SQLite(file, { readonly: true });
    try {
      for (const where of ["serial = 'x'", "ca_id = 'a' AND serial = 'x'", "id = 'i' OR serial = 'x'"]) {
        const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM certificates WHERE ${where}`).all()
          .map((r: any) => r.detail).join('; ');
        assert.doesNotMatch(plan, /SCAN certificates/, `${where}: ${plan}`);
      }
    } finally {
      db.close();
    }
  });
});
