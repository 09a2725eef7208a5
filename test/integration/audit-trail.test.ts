/**
 * The audit trail nobody can quietly rewrite: every request that reaches authentication is one
 * chained event; checkpoints are signed by the audit key in the HSM; and the built
 * `hsmca audit verify` names the first bad event after each way of tampering with the database.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { startHarness, type Harness } from '../helpers/harness';
import { call } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import { CLI, daemonEnv, runCli } from '../helpers/daemon';
import { eventHash, checkpointPayload, keyIdOf } from '../../src/audit/canonical';
import { chainedEvent } from '../../src/audit/trail';
import type { AuditEventRow } from '../../src/store';

const DAY = 24 * 3600 * 1000;

describe('audit trail: hash chain, HSM-signed checkpoints, hsmca audit verify', function () {
  this.timeout(120_000);
  let h: Harness;
  let dir: string;
  let pristine: string;
  let env: NodeJS.ProcessEnv;
  let csr: string;
  let rootId: string;

  before(async () => {
    h = await startHarness();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-audit-'));
    env = daemonEnv(h.hsm, h.dbFile);
    rootId = (await h.createRoot()).id;
    const token = await h.token([{ action: 'sign-intermediate', ca: rootId }]);
    csr = opensslCsr('P-256').csr;
    const notAfter = new Date(Date.now() + DAY).toISOString();
    const path_ = `/api/v1/cert-manager/ca/internal/${rootId}/sign-intermediate`;
    // 8 events, a checkpoint, then 2 more: 200, 401, 400, 403, 404, 200, 422, 200 | 200, 401
    const sends = [
      () => call(h.base, path_, { token, body: { csr, notAfter } }),
      () => call(h.base, path_, { body: { csr, notAfter } }),
      () => call(h.base, path_, { token, body: { csr: 'nope', notAfter } }),
      async () => call(h.base, path_, { token: await h.token([{ action: 'read', ca: '*' }]), body: { csr, notAfter } }),
      () => call(h.base, '/api/v1/cert-manager/ca/internal/missing/sign-intermediate', { token, body: { csr, notAfter } }),
      () => call(h.base, path_, { token, body: { csr, notAfter } }),
      () => call(h.base, path_, { token, body: { csr } }),
      () => call(h.base, path_, { token, body: { csr, notAfter } }),
    ];
    for (const send of sends) await send();
    assert.ok(await h.checkpoint());
    await call(h.base, path_, { token, body: { csr, notAfter } });
    await call(h.base, path_, { body: {} });
    pristine = snapshot('pristine.db');
  });
  after(async () => {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A consistent copy of the live database (WAL included). */
  function snapshot(name: string, from = h.dbFile): string {
    const file = path.join(dir, name);
    fs.rmSync(file, { force: true });
    const db = new SQLite(from, { readonly: true });
    db.exec(`VACUUM INTO '${file}'`);
    db.close();
    fs.chmodSync(file, 0o600); // as the daemon keeps it: a world-readable database is warned about
    return file;
  }

  /** Copies the pristine database, tampers with it, and runs the built `hsmca audit verify` on it. */
  function verifyAfter(name: string, tamper: (db: SQLite.Database) => void) {
    const file = snapshot(`${name}.db`, pristine);
    const db = new SQLite(file);
    tamper(db);
    db.close();
    const r = runCli(['audit', 'verify'], { ...env, HSMCA_DATABASE: file });
    return { ...r, report: JSON.parse(r.stdout) };
  }

  const rows = (db: SQLite.Database): AuditEventRow[] => db.prepare('SELECT * FROM audit_events ORDER BY seq').all() as AuditEventRow[];
  const rehash = (db: SQLite.Database, from: number): void => {
    let prev = from > 1 ? rows(db)[from - 2].hash : '0'.repeat(64);
    for (const e of rows(db).filter((r) => r.seq >= from)) {
      const hash = eventHash(chainedEvent({ ...e, prev_hash: prev }));
      db.prepare('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, e.seq);
      prev = hash;
    }
  };

  it('writes one chained event per request, with what the contract lists', async () => {
    const events = await h.store.audit.events();
    assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(events.map((e) => e.status), [200, 401, 400, 403, 404, 200, 422, 200, 200, 401]);
    assert.deepEqual(events.map((e) => e.outcome), ['issued', 'denied', 'rejected', 'denied', 'rejected', 'issued', 'rejected', 'issued', 'issued', 'denied']);
    const first = events[0];
    assert.equal(first.csr_sha256, crypto.createHash('sha256').update(csr).digest('hex'));
    assert.match(first.serial!, /^[0-9a-f]{40}$/);
    assert.equal(first.ca_id, rootId);
    assert.match(first.identity!, /^t\d+$/);
    assert.match(first.credential!, /^token:/);
    assert.match(first.client!, /127\.0\.0\.1$/);
    assert.match(first.req_id, /^req-[0-9A-Za-z]{14}$/);
    assert.equal(events[1].identity, null, 'a request without credentials names nobody');
    for (const [i, e] of events.entries()) assert.equal(e.prev_hash, i ? events[i - 1].hash : '0'.repeat(64));
  });

  it('the checkpoint is an HSM signature over (sequence, head hash), checkable with the public key alone', async () => {
    const [cp] = await h.store.audit.checkpoints();
    assert.equal(cp.event_seq, 8);
    const [key] = await h.keyStore.findKeys('hsmca-audit');
    assert.equal(cp.key_id, keyIdOf(key.spki));
    const attrs = await h.keyStore.inspectKey(key.uri);
    assert.equal(attrs.privateKey.sensitive, true);
    assert.equal(attrs.privateKey.extractable, false);
    const payload = checkpointPayload({ eventSeq: cp.event_seq, headHash: cp.head_hash, time: cp.time, keyId: cp.key_id });
    assert.ok(crypto.verify('sha256', payload, { key: crypto.createPublicKey({ key: key.spki, format: 'der', type: 'spki' }), dsaEncoding: 'der' }, Buffer.from(cp.signature, 'base64')));
    assert.equal((await h.checkpoint())?.event_seq, 10, 'the head moved: a new checkpoint');
    assert.equal(await h.checkpoint(), undefined, 'the head did not move: nothing to sign');
  });

  it('an untouched trail verifies, reporting what is not yet sealed', () => {
    const r = verifyAfter('intact', () => undefined);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.report.ok, true);
    assert.equal(r.report.events, 10);
    assert.equal(r.report.checkpoints, 1);
    assert.equal(r.report.unsealed, 2);
  });

  const tampered = (r: ReturnType<typeof verifyAfter>, seq: number | undefined, message: RegExp): void => {
    assert.equal(r.status, 1, r.stdout);
    assert.equal(r.report.ok, false);
    assert.equal(r.report.firstBad.seq, seq, JSON.stringify(r.report.problems));
    assert.match(r.report.firstBad.message, message);
    assert.match(r.stderr.trim(), /^hsmca: audit trail is NOT intact: /);
    assert.ok(r.stderr.includes(r.report.firstBad.message));
  };

  it('an edited event is named', () => {
    tampered(verifyAfter('edit', (db) => db.prepare("UPDATE audit_events SET identity = 'mallory' WHERE seq = 3").run()),
      3, /^event 3 \(req-\w+\) was altered/);
  });

  it('an edited event whose hash was recomputed is named by the broken link after it', () => {
    tampered(verifyAfter('edit-rehash', (db) => {
      db.prepare("UPDATE audit_events SET status = 200, outcome = 'issued' WHERE seq = 4").run();
      const e = rows(db)[3];
      db.prepare('UPDATE audit_events SET hash = ? WHERE seq = 4').run(eventHash(chainedEvent(e)));
    }), 4, /^the chain breaks between event 4 and event 5/);
  });

  it('a deleted event is named', () => {
    tampered(verifyAfter('delete', (db) => db.prepare('DELETE FROM audit_events WHERE seq = 5').run()), 5, /^event 5 is missing/);
  });

  it('two reordered events are named (the first of them)', () => {
    tampered(verifyAfter('reorder', (db) => {
      db.prepare('UPDATE audit_events SET seq = -1 WHERE seq = 4').run();
      db.prepare('UPDATE audit_events SET seq = 4 WHERE seq = 6').run();
      db.prepare('UPDATE audit_events SET seq = 6 WHERE seq = -1').run();
    }), 4, /^event 4 .* was altered/);
  });

  it('a tail truncated back past a checkpoint is named, from its first missing event', () => {
    tampered(verifyAfter('truncate', (db) => db.prepare('DELETE FROM audit_events WHERE seq >= 7').run()),
      7, /^events 7–8 are missing: checkpoint #1 .* sealed the chain up to event 8 \(tail truncated\)/);
  });

  it('a history rewritten consistently (every hash recomputed) is caught by the checkpoint', () => {
    tampered(verifyAfter('rewrite', (db) => {
      db.prepare("UPDATE audit_events SET identity = 'mallory' WHERE seq = 3").run();
      rehash(db, 3);
    }), 8, /^event 8 is not the event checkpoint #1 .* sealed \(history rewritten\)/);
  });

  it('a forged checkpoint is named: altered, or signed by a key that is not the audit key', () => {
    const altered = verifyAfter('forge-alter', (db) => {
      const head = rows(db).at(-1)!;
      db.prepare('UPDATE audit_checkpoints SET event_seq = ?, head_hash = ?').run(head.seq, head.hash);
    });
    tampered(altered, undefined, /^checkpoint #1 .*: the signature does not verify \(forged or altered\)/);
    const foreign = verifyAfter('forge-key', (db) => {
      const head = rows(db).at(-1)!;
      const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const keyId = keyIdOf(publicKey.export({ format: 'der', type: 'spki' }));
      const time = new Date().toISOString();
      const payload = checkpointPayload({ eventSeq: head.seq, headHash: head.hash, time, keyId });
      const signature = crypto.sign('sha256', payload, { key: privateKey, dsaEncoding: 'der' }).toString('base64');
      db.prepare('INSERT INTO audit_checkpoints (event_seq, head_hash, time, key_id, algorithm, signature) VALUES (?, ?, ?, ?, ?, ?)')
        .run(head.seq, head.hash, time, keyId, 'ecdsa-with-SHA256', signature);
    });
    tampered(foreign, undefined, /^checkpoint #2 .* is not signed by the audit key/);
  });

  it('export writes JSON lines that verify offline with the exported public key, and catch an edit there too', () => {
    const exported = runCli(['audit', 'export'], { ...env, HSMCA_DATABASE: pristine });
    assert.equal(exported.status, 0, exported.stderr);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.type), [...Array(10).fill('event'), 'checkpoint']);
    const keyFile = path.join(dir, 'audit.pem');
    fs.writeFileSync(keyFile, runCli(['audit', 'public-key'], env).stdout);
    const file = path.join(dir, 'export.jsonl');
    fs.writeFileSync(file, exported.stdout);
    const ok = runCli(['audit', 'verify', '--file', file, '--public-key', keyFile], {});
    assert.equal(ok.status, 0, ok.stderr);
    fs.writeFileSync(file, exported.stdout.replace('"status":404', '"status":200'));
    const bad = runCli(['audit', 'verify', '--file', file, '--public-key', keyFile], {});
    assert.equal(bad.status, 1);
    assert.equal(JSON.parse(bad.stdout).firstBad.seq, 5);
  });

  it('several processes appending at once extend one chain, never fork it', async () => {
    const file = snapshot('concurrent.db', pristine);
    const cliEnv = { ...env, HSMCA_DATABASE: file };
    const runs = Array.from({ length: 6 }, (_, i) => new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, [CLI, 'identity', 'create', '--name', `parallel-${i}`, '--grant', 'read:*'], { env: cliEnv, stdio: 'ignore' });
      p.on('exit', resolve);
    }));
    assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0, 0, 0]);
    const r = runCli(['audit', 'verify'], cliEnv);
    assert.equal(r.status, 0, r.stdout);
    assert.equal(JSON.parse(r.stdout).events, 16);
  });
});
