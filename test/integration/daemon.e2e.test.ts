/**
 * The built daemon and CLI as processes, as the README runs them: create a root in the token,
 * create a token, serve (two workers), sign 1,000 intermediates concurrently (serials unique,
 * every one on disk, every one in /metrics), and shut down cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { daemonEnv, runCli, startDaemon, workerPids, type Daemon } from '../helpers/daemon';
import { apiClient } from '../helpers/api-client';
import os from 'node:os';
import { opensslCsr } from '../helpers/csr-factory';
import { scrape, valueOf } from '../helpers/prometheus';
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
    assert.ok(JSON.parse(list.stdout)[0].configuration.notAfter.startsWith('2046-01-01'));
  });

  it('CLI twins of the CA endpoints: create, csr, sign, import, certificate, renew, disable, show', () => {
    const cli = (...args: string[]) => {
      const r = runCli(args, env);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const root = cli('ca', 'list')[0];
    const ext = cli('ca', 'create', '--type', 'intermediate', '--name', 'ext', '--key-algorithm', 'EC_prime256v1', '--common-name', 'Ext');
    assert.equal(ext.status, 'pending-certificate');
    const csrFile = path.join(dir, 'ext.csr');
    fs.writeFileSync(csrFile, cli('ca', 'csr', ext.id).csr);
    const signed = cli('ca', 'sign', root.id, '--csr', csrFile, '--not-after', '2040-01-01T00:00:00Z');
    fs.writeFileSync(path.join(dir, 'ext.pem'), signed.certificate);
    fs.writeFileSync(path.join(dir, 'chain.pem'), signed.certificateChain);
    const imported = cli('ca', 'import', ext.id, '--certificate', path.join(dir, 'ext.pem'), '--chain', path.join(dir, 'chain.pem'));
    assert.equal(imported.status, 'active');
    const internal = cli('ca', 'create', '--type', 'intermediate', '--name', 'int', '--key-algorithm', 'EC_prime256v1', '--common-name', 'Int');
    const issued = cli('ca', 'certificate', internal.id, '--parent', root.id, '--not-after', '2040-01-01T00:00:00Z', '--max-path-length', '0');
    const renewed = cli('ca', 'renew', internal.id, '--not-after', '2041-01-01T00:00:00Z');
    assert.notEqual(renewed.serialNumber, issued.serialNumber);
    assert.equal(cli('ca', 'disable', internal.id).status, 'disabled');
    const shown = cli('ca', 'show', internal.id);
    assert.equal(shown.certificate.serialNumber, renewed.serialNumber);
    assert.equal(shown.configuration.maxPathLength, 0);
    assert.equal(cli('ca', 'delete', internal.id).id, internal.id);
  });

  it('config errors are reported all at once, with paths', () => {
    const bad = runCli(['ca', 'list'], { ...env, HSMCA_LISTEN: 'nowhere', HSMCA_LOG_LEVEL: 'loud' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /listen: .*logLevel: |logLevel: .*listen: /);
  });

  it('serve signs 1,000 intermediates concurrently: unique serials, every one committed, all counted in /metrics', async () => {
    const ca = JSON.parse(runCli(['ca', 'list'], env).stdout).find((c: { name: string }) => c.name === 'root');
    const token = JSON.parse(runCli(['token', 'create', '--name', 'e2e', '--grant', `sign-intermediate:${ca.id}`], env).stdout).token;
    daemon = await startDaemon({ ...env, HSMCA_WORKERS: '2' });
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
    const rows = db.prepare("SELECT serial FROM certificates WHERE ca_id = ? AND identity = 'e2e'").all(ca.id) as { serial: string }[];
    db.close();
    assert.deepEqual(new Set(rows.map((r) => r.serial)), serials);
    // Two workers shared the load; whichever takes a scrape answers with both workers' counts.
    for (let i = 0; i < 4; i++) {
      const s = await scrape(daemon.url);
      assert.equal(valueOf(s, 'hsmca_certificates_issued_total', { ca: ca.id }), 1000);
      assert.equal(valueOf(s, 'hsmca_http_request_duration_seconds', { route: '/api/v1/cert-manager/ca/internal/:caId/sign-intermediate' }), 1000);
    }
    // Workers run without V8's allocation-site pretenuring (cluster.ts says why).
    const workers = workerPids(daemon);
    assert.equal(workers.length, 2);
    for (const pid of workers) assert.ok(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--no-allocation-site-pretenuring'));
    assert.equal(await daemon.stop('SIGTERM'), 0);
    daemon = undefined;
  });
});
