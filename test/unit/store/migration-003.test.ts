/**
 * A database made by the first release (migration 001 only: tokens with grants and a bare
 * SHA-256, unchained audit rows) is carried over by 003 without losing a token or an event.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { initial } from '../../../src/store/migrations/001-initial';
import { openSqliteStore } from '../../../src/store';
import { createAuthDeps } from '../../../src/auth/auth-deps';
import { authenticateBearer } from '../../../src/auth/tokens';
import { verifyAuditTrail } from '../../../src/audit/verify';

const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

describe('store: migration 003 from a 001 database', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-mig-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function make001(file: string): Promise<void> {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ '001-initial': initial('sqlite') }) } });
    assert.equal((await migrator.migrateToLatest()).error, undefined);
    const token = (name: string, secret: string, grants: unknown) => ({
      id: crypto.randomUUID(), name, hash: sha256(secret), grants: JSON.stringify(grants),
      created_at: new Date().toISOString(), expires_at: null, revoked_at: null,
    });
    await db.insertInto('tokens').values([
      token('ci', 'hsmca_old-one', [{ action: 'sign-intermediate', ca: 'root' }]),
      token('ci', 'hsmca_old-two', [{ action: '*', ca: '*' }]),
    ]).execute();
    for (const status of [200, 401, 400]) {
      await db.insertInto('audit_events').values({
        time: new Date().toISOString(), req_id: `req-${'0'.repeat(11)}${status}`, identity: 'ci', action: 'sign-intermediate',
        ca_id: 'root', outcome: status === 200 ? 'issued' : 'rejected', status, serial: null, csr_sha256: null, client: '127.0.0.1',
      }).execute();
    }
    await db.destroy();
  }

  it('gives each old token an identity with its grants, re-hashes it with the pepper on first use, and chains old events', async () => {
    const file = path.join(dir, 'old.db');
    await make001(file);
    const store = await openSqliteStore(file);
    try {
      const names = (await store.identities.listIdentities()).map((i) => i.name).sort();
      assert.equal(names[0], 'ci');
      assert.match(names[1], /^ci-[0-9a-f]{8}$/, 'a second token of the same name gets an identity of its own');
      const auth = createAuthDeps(store, 'k'.repeat(32));
      const who = await authenticateBearer(auth, 'Bearer hsmca_old-one');
      assert.deepEqual(who.grants, [{ action: 'sign-intermediate', ca: 'root' }]);
      const row = await store.identities.getToken(who.tokenId!);
      assert.equal(row!.hash_scheme, 'hmac-sha256');
      assert.equal(row!.hash, auth.hasher.hash('hsmca_old-one'));
      assert.equal((await authenticateBearer(auth, 'Bearer hsmca_old-one')).tokenId, who.tokenId, 'works again after the re-hash');
      assert.deepEqual((await authenticateBearer(auth, 'Bearer hsmca_old-two')).grants, [{ action: '*', ca: '*' }]);
      const report = verifyAuditTrail(await store.audit.events(), [], []);
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.equal(report.events, 3);
    } finally {
      await store.close();
    }
  });
});
