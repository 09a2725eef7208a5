/**
 * CRL numbers only grow: across two daemon processes revoking at once on one database, and
 * across a restart. (On PostgreSQL the same constraint and retry hold replicas to one sequence.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { daemonEnv, runCli, startDaemon, type Daemon } from '../helpers/daemon';
import { call } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import { createSoftHsmToken } from '../helpers/softhsm';

describe('CRL numbers across processes and restarts (e2e)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const daemons: Daemon[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-crlnum-'));
    env = daemonEnv(createSoftHsmToken(), path.join(dir, 'hsmca.db'));
  });
  after(async () => {
    for (const d of daemons) await d.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const numbers = (): number[] => {
    const db = new SQLite(env.HSMCA_DATABASE!, { readonly: true });
    const rows = db.prepare('SELECT number FROM crls ORDER BY number').all() as { number: number }[];
    db.close();
    return rows.map((r) => r.number);
  };

  it('two daemons revoking concurrently never share or reuse a number; a restart continues the sequence', async () => {
    const ca = JSON.parse(runCli(['ca', 'create-root', '--name', 'r', '--key-algorithm', 'EC_prime256v1',
      '--common-name', 'R', '--not-after', '2040-01-01T00:00:00Z'], env).stdout);
    const token = JSON.parse(runCli(['token', 'create', '--name', 't', '--grant', '*:*'], env).stdout).token;
    // One after the other: SoftHSM logins racing on one token can fail (hsm.md).
    daemons.push(await startDaemon(env));
    daemons.push(await startDaemon(env));
    const { csr } = opensslCsr('P-256');
    const serials: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await call(daemons[0].url, `/api/v1/cert-manager/ca/internal/${ca.id}/sign-intermediate`, {
        token, body: { csr, notAfter: '2030-01-01T00:00:00Z' },
      });
      serials.push(r.body.serialNumber);
    }
    const results = await Promise.all(serials.slice(0, 6).map((s, i) => call(daemons[i % 2].url,
      `/api/v1/cert-manager/certificates/${s}/revoke`, { token, body: { revocationReason: 'SUPERSEDED' } })));
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    const seen = numbers();
    assert.deepEqual(seen, Array.from({ length: seen.length }, (_, i) => i + 1), 'one gapless, duplicate-free sequence');
    assert.ok(seen.length >= 6);

    for (const d of daemons.splice(0)) assert.equal(await d.stop('SIGTERM'), 0);
    daemons.push(await startDaemon(env));
    const r = await call(daemons[0].url, `/api/v1/cert-manager/certificates/${serials[6]}/revoke`, {
      token, body: { revocationReason: 'CESSATION_OF_OPERATION' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(Math.max(...numbers()), Math.max(...seen) + 1);
  });
});
