/**
 * The built daemon and CLI as processes, as the README runs them: create a root in the token,
 * create a token, serve, sign 1,000 intermediates concurrently (serials unique, every one on
 * disk), and shut down cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { daemonEnv, runCli, startDaemon, type Daemon } from '../helpers/daemon';
import { apiClient } from '../helpers/api-client';
import os from 'node:os';
import { opensslCsr } from '../helpers/csr-factory';
import { createSoftHsmToken } from '../helpers/softhsm';

describe('built daemon (e2e)', function () {
  this.timeout(300_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let daemon: Daemon | undefined;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-e2e-'));
    env = daemonEnv(createSoftHsmToken(), path.join(dir, 'hsmca.db'));
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('CLI: create-root prints the CA JSON alone on stdout; errors are one line and non-zero', () => {
    const ok = runCli(['ca', 'create-root', '--name', 'root', '--key-algorithm', 'EC_secp384r1',
      '--common-name', 'E2E Root', '--country', 'NL', '--not-after', '2046-01-01T00:00:00Z', '--max-path-length', '2'], env);
    assert.equal(ok.status, 0, ok.stderr);
    const ca = JSON.parse(ok.stdout);
    assert.match(ca.id, /^[0-9a-f-]{36}$/);
    assert.equal(ca.status, 'active');
    assert.match(ca.keyRef, /^pkcs11:/);

    const dup = runCli(['ca', 'create-root', '--name', 'root', '--key-algorithm', 'EC_secp384r1',
      '--common-name', 'x', '--not-after', '2046-01-01T00:00:00Z'], env);
    assert.notEqual(dup.status, 0);
    assert.equal(dup.stdout, '');
    const reasons = dup.stderr.trim().split('\n').filter((l) => l.startsWith('hsmca: '));
    assert.deepEqual(reasons, ["hsmca: A CA named 'root' already exists"]);

    const list = runCli(['ca', 'list'], env);
    assert.deepEqual(JSON.parse(list.stdout).map((c: { id: string }) => c.id), [ca.id]);
  });

  it('config errors are reported all at once, with paths', () => {
    const bad = runCli(['ca', 'list'], { ...env, HSMCA_LISTEN: 'nowhere', HSMCA_LOG_LEVEL: 'loud' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /listen: .*logLevel: |logLevel: .*listen: /);
  });

  it('serve signs 1,000 intermediates concurrently: unique serials, every one committed', async () => {
    const ca = JSON.parse(runCli(['ca', 'list'], env).stdout)[0];
    const token = JSON.parse(runCli(['token', 'create', '--name', 'e2e', '--grant', `sign-intermediate:${ca.id}`], env).stdout).token;
    daemon = await startDaemon(env);
    const { csr } = opensslCsr('P-256');
    const serials = new Set<string>();
    const notAfter = new Date(Date.now() + 86400_000).toISOString();
    const api = apiClient(daemon.url, token);
    for (let batch = 0; batch < 20; batch++) {
      const results = await Promise.all(Array.from({ length: 50 }, () =>
        api.POST('/api/v1/cert-manager/ca/internal/{caId}/sign-intermediate', { params: { path: { caId: ca.id } }, body: { csr, notAfter } })));
      for (const r of results) {
        assert.equal(r.response.status, 200, JSON.stringify(r.error));
        serials.add(r.data!.serialNumber);
      }
    }
    assert.equal(serials.size, 1000);
    const db = new SQLite(env.HSMCA_DATABASE!, { readonly: true });
    const rows = db.prepare('SELECT serial FROM certificates WHERE ca_id = ?').all(ca.id) as { serial: string }[];
    db.close();
    assert.deepEqual(new Set(rows.map((r) => r.serial)), serials);
    assert.equal(await daemon.stop('SIGTERM'), 0);
    daemon = undefined;
  });
});
