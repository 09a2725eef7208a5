/**
 * Scale out and crash safety, with the built daemon as a process: two daemons on one
 * PostgreSQL database and one SoftHSM token issue 10,000 intermediates concurrently; and a
 * daemon killed with SIGKILL mid-load (SQLite and PostgreSQL) loses nothing a client got a 200
 * for. `hsmca audit verify` is clean afterwards.
 */
import assert from 'node:assert/strict';
import { daemonEnv, killTree, runCli, startDaemon, type Daemon } from '../helpers/daemon';
import { call } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import { createSoftHsmToken } from '../helpers/softhsm';
import { freshDatabase, requirePostgres, type Backend } from '../helpers/databases';
import { openStore } from '../../src/store';

const signPath = (caId: string) => `/api/v1/cert-manager/ca/internal/${caId}/sign-intermediate`;

/** A root CA and a token in a fresh database, and the environment daemons run with. */
async function world(backend: Backend, extra: Record<string, string> = {}) {
  const db = await freshDatabase(backend);
  const env = daemonEnv(createSoftHsmToken(), db.database, { HSMCA_WORKERS: '1', HSMCA_AUDIT_CHECKPOINT_INTERVAL: '2', ...extra });
  const ca = JSON.parse(runCli(['ca', 'create-root', '--name', 'root', '--key-algorithm', 'EC_prime256v1',
    '--common-name', 'Scale Root', '--not-after', '2040-01-01T00:00:00Z'], env).stdout);
  const token = JSON.parse(runCli(['token', 'create', '--name', 'load', '--grant', `sign-intermediate:${ca.id}`], env).stdout).token;
  return { db, env, caId: ca.id as string, token: token as string, csr: opensslCsr('P-256').csr };
}

/** Sends sign-intermediate requests from `workers` loops until `stop()` says so; collects 200 serials. */
function load(urls: () => string[], w: { caId: string; token: string; csr: string }, workers: number, limit: number) {
  const serials: string[] = [];
  let errors = 0;
  let sent = 0;
  let stopped = false;
  const loops = Array.from({ length: workers }, async (_, i) => {
    while (!stopped && sent < limit) {
      sent++;
      const targets = urls();
      try {
        const r = await call(targets[i % targets.length], signPath(w.caId), {
          token: w.token, body: { csr: w.csr, notAfter: '2030-01-01T00:00:00Z' },
        });
        if (r.status === 200) serials.push(r.body.serialNumber);
        else errors++;
      } catch {
        errors++; // the connection died with the daemon: no answer, so no promise was made
      }
    }
  });
  return { serials, errors: () => errors, stop: () => (stopped = true), done: Promise.all(loops) };
}

async function storedSerials(database: string, caId: string): Promise<string[]> {
  const store = await openStore(database);
  try {
    const rows = await store.db.selectFrom('certificates').select('serial').where('ca_id', '=', caId).execute();
    return rows.map((r) => r.serial);
  } finally {
    await store.close();
  }
}

/** `hsmca audit verify` is clean, and every certificate a client received has its `issued` event. */
async function auditAgrees(env: NodeJS.ProcessEnv, serials: string[]): Promise<void> {
  const r = runCli(['audit', 'verify'], env);
  assert.equal(r.status, 0, `audit verify: ${r.stdout}${r.stderr}`);
  const store = await openStore(env.HSMCA_DATABASE!);
  try {
    const rows = await store.db.selectFrom('audit_events').select('serial').where('outcome', '=', 'issued').execute();
    const audited = new Set(rows.map((e) => e.serial));
    assert.deepEqual(serials.filter((s) => !audited.has(s)), [], 'every issued certificate is in the audit trail');
  } finally {
    await store.close();
  }
}

describe('scale-out and crash safety (e2e)', function () {
  this.timeout(600_000);
  const daemons: Daemon[] = [];
  afterEach(async () => {
    for (const d of daemons.splice(0)) await killTree(d);
  });

  it('two daemons on one PostgreSQL and one token: 10,000 intermediates, every serial unique and stored once', async function () {
    requirePostgres(this);
    const w = await world('postgres');
    try {
      daemons.push(await startDaemon(w.env));
      daemons.push(await startDaemon(w.env));
      const urls = daemons.map((d) => d.url);
      const run = load(() => urls, w, 32, 10_000);
      await run.done;
      assert.equal(run.errors(), 0);
      assert.equal(run.serials.length, 10_000);
      assert.equal(new Set(run.serials).size, 10_000, 'every serial unique');
      for (const d of daemons.splice(0)) assert.equal(await d.stop('SIGTERM'), 0);
      const stored = await storedSerials(w.db.database, w.caId);
      assert.equal(stored.length, 10_000, 'each certificate a client received is stored exactly once');
      assert.deepEqual(new Set(stored), new Set(run.serials));
      await auditAgrees(w.env, run.serials);
    } finally {
      await w.db.drop();
    }
  });

  for (const backend of ['sqlite', 'postgres'] as Backend[]) {
    it(`SIGKILL mid-load on ${backend}: every certificate a client got a 200 for is stored, the audit chain verifies`, async function () {
      if (backend === 'postgres') requirePostgres(this);
      const w = await world(backend);
      try {
        let daemon = await startDaemon(w.env);
        daemons.push(daemon);
        let url = daemon.url;
        const run = load(() => [url], w, 16, 1_000_000);
        while (run.serials.length < 500) await new Promise((r) => setTimeout(r, 20));
        await killTree(daemon);
        daemons.splice(0);
        const acked = [...run.serials];
        daemon = await startDaemon(w.env);
        daemons.push(daemon);
        url = daemon.url;
        const before = run.serials.length;
        while (run.serials.length < before + 200) await new Promise((r) => setTimeout(r, 20));
        run.stop();
        await run.done;
        const stored = new Set(await storedSerials(w.db.database, w.caId));
        const lost = acked.filter((s) => !stored.has(s));
        assert.deepEqual(lost, [], 'a 200 means the row was committed');
        for (const s of run.serials) assert.ok(stored.has(s));
        assert.equal(await daemon.stop('SIGTERM'), 0);
        daemons.splice(0);
        await auditAgrees(w.env, run.serials);
      } finally {
        await w.db.drop();
      }
    });
  }
});
