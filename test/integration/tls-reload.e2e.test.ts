/**
 * Certificate rotation without a restart: the files behind tls.certFile/keyFile are replaced,
 * the built daemon (two workers) gets SIGHUP, and every new handshake, whichever worker takes
 * it, presents the new certificate, while requests running across the reload all succeed.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { opensslCsr } from '../helpers/csr-factory';
import { daemonEnv, runCli, startDaemon, type Daemon } from '../helpers/daemon';
import { call } from '../helpers/http';
import { issueLeaf, makeCa, type Issued } from '../helpers/openssl-pki';
import { createSoftHsmToken } from '../helpers/softhsm';

/** SHA-256 fingerprint of the certificate a fresh handshake with `url` presents. */
function servedFingerprint(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

const fingerprint = (pem: string): string => new crypto.X509Certificate(pem).fingerprint256;

describe('TLS certificate reload on SIGHUP (built daemon, two workers)', function () {
  this.timeout(120_000);
  let dir: string;
  let daemon: Daemon | undefined;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-tls-reload-'));
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A server CA, two certificates from it, the first pair in the files the config names. */
  function setUp(name: string, workers: number) {
    const ca = makeCa(dir, `${name}-ca`, `/O=hsmca tests/CN=${name} CA`);
    const issue = (leaf: string): Issued => issueLeaf(dir, ca, `${name}-${leaf}`, '/CN=localhost', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
    const [first, second] = [issue('first'), issue('second')];
    const certFile = path.join(dir, `${name}.pem`);
    const keyFile = path.join(dir, `${name}.key`);
    fs.copyFileSync(first.certFile, certFile);
    fs.copyFileSync(first.keyFile, keyFile);
    const env = daemonEnv(createSoftHsmToken(), path.join(dir, `${name}.db`), {
      HSMCA_WORKERS: String(workers), HSMCA_LOG_LEVEL: 'info', HSMCA_TLS_CERT_FILE: certFile, HSMCA_TLS_KEY_FILE: keyFile,
    });
    return { ca, first, second, certFile, keyFile, env };
  }

  const reloadReports = (d: Daemon): Record<string, unknown>[] =>
    d.stderr.filter((l) => /SIGHUP: configuration reloaded/.test(l)).map((l) => JSON.parse(l));

  /** Sends SIGHUP to the primary and waits (bounded) until `workers` workers have reloaded. */
  async function hangUp(d: Daemon, workers: number): Promise<Record<string, unknown>[]> {
    d.proc.kill('SIGHUP');
    for (let i = 0; i < 200 && reloadReports(d).length < workers; i++) await sleep(20);
    assert.equal(reloadReports(d).length, workers, d.stderr.join('\n'));
    return reloadReports(d);
  }

  it('swaps the served certificate with no failed request', async () => {
    const { ca: serverCa, first: before, second: after, certFile, keyFile, env } = setUp('rotate', 2);
    const cli = (args: string[]) => {
      const r = runCli(args, env);
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const caId = cli(['ca', 'create-root', '--name', 'root', '--key-algorithm', 'EC_prime256v1', '--common-name', 'Reload Root',
      '--not-after', '2046-01-01T00:00:00Z']).id;
    const token = cli(['token', 'create', '--name', 'load', '--grant', `sign-intermediate:${caId}`]).token;
    daemon = await startDaemon(env);
    assert.equal(await servedFingerprint(daemon.url, serverCa.cert), fingerprint(before.cert));

    // Requests one after another, each on a new connection (call() over https uses no agent).
    const statuses: number[] = [];
    let stop = false;
    const body = { csr: opensslCsr('P-256').csr, notAfter: new Date(Date.now() + 86400_000).toISOString() };
    const load = (async () => {
      while (!stop) {
        const r = await call(daemon!.url, `/api/v1/cert-manager/ca/internal/${caId}/sign-intermediate`, { body, token, tls: { ca: serverCa.cert } });
        statuses.push(r.status);
      }
    })();
    while (statuses.length < 10) await sleep(10);

    fs.copyFileSync(after.certFile, certFile);
    fs.copyFileSync(after.keyFile, keyFile);
    // Every worker reloads; the primary hands each new connection to one of them.
    for (const r of await hangUp(daemon, 2)) assert.deepEqual(r.reloaded, ['log level', 'TLS certificate']);
    const served = await Promise.all(Array.from({ length: 8 }, () => servedFingerprint(daemon!.url, serverCa.cert)));
    assert.deepEqual(new Set(served), new Set([fingerprint(after.cert)]));

    const sent = statuses.length;
    while (statuses.length < sent + 10) await sleep(10);
    stop = true;
    await load;
    assert.ok(statuses.every((s) => s === 200), `every request succeeded: ${JSON.stringify(statuses)}`);
    assert.equal(await daemon.stop('SIGTERM'), 0);
    daemon = undefined;
  });

  it('a key that does not match the certificate is refused and the old pair keeps serving', async () => {
    const { ca: serverCa, first: good, second: other, keyFile, env } = setUp('mismatch', 1);
    daemon = await startDaemon(env);
    fs.copyFileSync(other.keyFile, keyFile); // the new key, but still the old certificate
    const [report] = await hangUp(daemon, 1);
    assert.deepEqual([report.reloaded, report.failed], [['log level'], ['TLS certificate']]);
    assert.ok(daemon.stderr.some((l) => /reload failed; keeping the previous setting/.test(l)));
    assert.equal(await servedFingerprint(daemon.url, serverCa.cert), fingerprint(good.cert));
    assert.equal((await call(daemon.url, '/healthz', { tls: { ca: serverCa.cert } })).status, 200);
    assert.equal(await daemon.stop('SIGTERM'), 0);
    daemon = undefined;
  });
});
