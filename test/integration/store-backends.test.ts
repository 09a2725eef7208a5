/**
 * The same store behaviour on both engines: SQLite (the embedded default) and PostgreSQL (the
 * scale-out backend, via HSMCA_TEST_PG_URL). Same migrations, same queries, and the writes that
 * several replicas race on — serials, CRL numbers, the audit chain — stay correct when two
 * store instances (two daemons, in effect) write at once.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { recordAuditEvent } from '../../src/audit/trail';
import { verifyAuditTrail } from '../../src/audit/verify';
import { DuplicateSerialError, openStore, SchemaTooNewError, type CertificateRow, type Store } from '../../src/store';
import { freshDatabase, requirePostgres, type Backend } from '../helpers/databases';

const cert = (caId: string, serial: string): CertificateRow => ({
  id: crypto.randomUUID(), ca_id: caId, serial, kind: 'intermediate', subject: 'CN=x',
  not_before: '2030-01-01T00:00:00.000Z', not_after: '2031-01-01T00:00:00.000Z', der: 'AA==', sha256: '00',
  identity: 't', req_id: 'req-00000000000000', created_at: new Date().toISOString(), revoked_at: null, revocation_reason: null,
});

const event = (i: number) => ({
  time: new Date(), reqId: `req-${String(i).padStart(14, '0')}`, identity: 'w', credential: 'token:x', action: 'sign-intermediate',
  caId: null, target: null, outcome: 'issued' as const, status: 200, serial: null, csrSha256: null, client: '127.0.0.1',
});

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`store on ${backend}`, function () {
    this.timeout(60_000);
    let database: string;
    let drop: () => Promise<void>;
    let a: Store;
    let b: Store;

    before(async function () {
      if (backend === 'postgres') requirePostgres(this);
      ({ database, drop } = await freshDatabase(backend));
      a = await openStore(database);
      b = await openStore(database);
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await drop?.();
    });

    it('migrates once, forward only, and the second open applies nothing', async () => {
      assert.deepEqual(a.appliedMigrations, ['001-initial', '002-revocation', '003-identities-audit', '004-lookup-epoch', '005-one-serial-index']);
      assert.deepEqual(b.appliedMigrations, []);
    });

    it('refuses a schema newer than it knows, naming the migration', async () => {
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('999-from-the-future', '2030-01-01')`.execute(a.db);
      await assert.rejects(openStore(database), (e: Error) => e instanceof SchemaTooNewError && /999-from-the-future/.test(e.message));
      await sql`DELETE FROM kysely_migration WHERE name = '999-from-the-future'`.execute(a.db);
    });

    it('serves CA, token and identity rows from memory only while nobody, anywhere, changed them', async () => {
      const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
      const now = new Date().toISOString();
      const caId = crypto.randomUUID();
      await a.insertCa({
        id: caId, name: `lookup-${caId}`, status: 'active', type: 'root', key_algorithm: 'EC_prime256v1', key_ref: 'pkcs11:object=x',
        configuration: '{}', parent_ca_id: null, active_ca_cert_id: null, created_at: now, updated_at: now,
      });
      const identityId = crypto.randomUUID();
      const hash = crypto.randomBytes(32).toString('hex');
      await a.identities.insertIdentity({ id: identityId, name: `lookup-${identityId}`, grants: '[]', created_at: now, expires_at: null, revoked_at: null }, []);
      await a.identities.insertToken({ id: crypto.randomUUID(), identity_id: identityId, name: 't', hash, hash_scheme: 'hmac-sha256', created_at: now, expires_at: null, revoked_at: null });
      // b reads (and keeps) them…
      assert.equal((await b.getCa(caId))?.status, 'active');
      assert.equal((await b.identities.findTokenByHash(hash, 'hmac-sha256'))?.revoked_at, null);
      assert.equal((await b.identities.getIdentity(identityId))?.revoked_at, null);
      assert.ok(Object.isFrozen(await b.getCa(caId)));
      // …then another writer changes each: b's next request (a later turn) sees the change.
      await a.updateCa(caId, { status: 'disabled' });
      await a.identities.updateToken((await a.identities.findTokenByHash(hash, 'hmac-sha256'))!.id, { revoked_at: now });
      await turn();
      assert.equal((await b.getCa(caId))?.status, 'disabled');
      assert.equal((await b.identities.findTokenByHash(hash, 'hmac-sha256'))?.revoked_at, now);
      // A hand-made UPDATE outside hsmca bumps the counter too (triggers, not application code).
      await sql`UPDATE identities SET revoked_at = ${now} WHERE id = ${identityId}`.execute(a.db);
      await turn();
      assert.equal((await b.identities.getIdentity(identityId))?.revoked_at, now);
      // A row that did not exist is not remembered as missing once it is written.
      const later = crypto.randomUUID();
      assert.equal(await b.getCa(later), undefined);
      await a.insertCa({
        id: later, name: `lookup-${later}`, status: 'active', type: 'root', key_algorithm: 'EC_prime256v1', key_ref: 'pkcs11:object=y',
        configuration: '{}', parent_ca_id: null, active_ca_cert_id: null, created_at: now, updated_at: now,
      });
      await turn();
      assert.equal((await b.getCa(later))?.id, later);
      // And a store sees its own writes at once, in the same turn.
      await b.updateCa(later, { status: 'disabled' });
      assert.equal((await b.getCa(later))?.status, 'disabled');
    });

    it('keeps serials unique per issuer across two writers, and only per issuer', async () => {
      const serials = Array.from({ length: 200 }, () => crypto.randomBytes(20).toString('hex'));
      await Promise.all(serials.map((s, i) => (i % 2 ? a : b).insertCertificate(cert('ca-1', s))));
      await assert.rejects(b.insertCertificate(cert('ca-1', serials[7])), DuplicateSerialError);
      await a.insertCertificate(cert('ca-2', serials[7]));
      assert.equal(await a.countCertificates('ca-1'), 200);
      assert.equal((await b.findCertificates(serials[7])).length, 2);
    });

    it('gives racing CRL writers one gapless sequence of numbers', async () => {
      const append = (s: Store) => s.appendCrl('ca-1', async () => ({
        id: crypto.randomUUID(), this_update: new Date().toISOString(), next_update: new Date().toISOString(), der: 'AA==',
      }));
      const rows = await Promise.all(Array.from({ length: 30 }, (_, i) => append(i % 2 ? a : b)));
      assert.deepEqual(rows.map((r) => r.number).sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i + 1));
    });

    it('stores checkpoints only forward: one that seals an older head than the latest is dropped', async () => {
      const cp = (seq: number) => ({ event_seq: seq, head_hash: 'h'.repeat(64), time: new Date().toISOString(), key_id: 'k', algorithm: 'ecdsa-with-SHA256', signature: 'AA==' });
      const before = (await a.audit.checkpoints()).length;
      // Two writers signed heads 1,000,010 and 1,000,005 and reach the database in that order.
      assert.equal(await a.audit.insertCheckpoint(cp(1_000_010)), true);
      assert.equal(await b.audit.insertCheckpoint(cp(1_000_005)), false);
      assert.equal(await b.audit.insertCheckpoint(cp(1_000_010)), false);
      const after = await a.audit.checkpoints();
      assert.deepEqual(after.slice(before).map((c) => c.event_seq), [1_000_010]);
      await sql`DELETE FROM audit_checkpoints WHERE event_seq >= 1000000`.execute(a.db);
    });

    it('keeps one audit chain, no forks, when two writers append at once', async () => {
      await Promise.all(Array.from({ length: 120 }, (_, i) => recordAuditEvent(i % 2 ? a : b, event(i))));
      const events = await a.audit.events();
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: events.length }, (_, i) => i + 1));
      const report = verifyAuditTrail(events, [], []);
      assert.equal(report.ok, true, JSON.stringify(report).slice(0, 500));
    });

    it('durable writes are visible to the other writer at once (a 200 means committed)', async () => {
      const s = crypto.randomBytes(20).toString('hex');
      await a.insertCertificate(cert('ca-3', s));
      assert.ok(await b.getCertificateBySerial('ca-3', s));
    });
  });
}
