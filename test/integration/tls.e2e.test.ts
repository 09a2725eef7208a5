/**
 * The built daemon serving HTTPS with certificates `openssl` made here; with a client CA it
 * maps client certificates (by subject or SAN) to identities, so no bearer secret is needed,
 * and refuses certificates from any other CA.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { daemonEnv, runCli, startDaemon, type Daemon } from '../helpers/daemon';
import { call } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import { createSoftHsmToken } from '../helpers/softhsm';
import { issueLeaf, makeCa, type Issued } from '../helpers/openssl-pki';
import { pemToDer } from '../../src/ca/pem';

describe('HTTPS and mTLS (built daemon, openssl-made certificates)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let serverCa: Issued;
  let certs: Record<'alice' | 'bob' | 'carol' | 'mallory', Issued>;
  let caId: string;
  let token: string;
  let daemon: Daemon | undefined;
  const body = () => ({ csr: opensslCsr('P-256').csr, notAfter: new Date(Date.now() + 86400_000).toISOString() });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-tls-'));
    // One worker: each worker process signs its own checkpoint at shutdown, and the test counts them.
    env = daemonEnv(createSoftHsmToken(), path.join(dir, 'hsmca.db'), { HSMCA_WORKERS: '1' });
    serverCa = makeCa(dir, 'server-ca', '/O=hsmca tests/CN=Server CA');
    const server = issueLeaf(dir, serverCa, 'server', '/CN=localhost', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
    const clientCa = makeCa(dir, 'client-ca', '/O=hsmca tests/CN=Client CA');
    const otherCa = makeCa(dir, 'other-ca', '/O=hsmca tests/CN=Client CA');
    certs = {
      alice: issueLeaf(dir, clientCa, 'alice', '/O=hsmca tests/CN=alice', 'email:alice@corp.example', 'clientAuth'),
      bob: issueLeaf(dir, clientCa, 'bob', '/O=hsmca tests/CN=bob', 'DNS:bob.corp.example', 'clientAuth'),
      carol: issueLeaf(dir, clientCa, 'carol', '/O=hsmca tests/CN=carol', 'DNS:carol.corp.example', 'clientAuth'),
      // Same subject as alice, same CA name, but another CA's key: must get nowhere.
      mallory: issueLeaf(dir, otherCa, 'mallory', '/O=hsmca tests/CN=alice', 'email:alice@corp.example', 'clientAuth'),
    };
    Object.assign(env, { HSMCA_TLS_CERT_FILE: server.certFile, HSMCA_TLS_KEY_FILE: server.keyFile, HSMCA_TLS_CLIENT_CA_FILE: clientCa.certFile });
    const cli = (args: string[]) => {
      const r = runCli(args, env);
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    caId = cli(['ca', 'create-root', '--name', 'root', '--key-algorithm', 'EC_prime256v1', '--common-name', 'TLS Root', '--not-after', '2046-01-01T00:00:00Z']).id;
    cli(['identity', 'create', '--name', 'alice', '--grant', `sign-intermediate:${caId}`, '--client-subject', 'O=hsmca tests, CN=alice']);
    cli(['identity', 'create', '--name', 'bob', '--grant', `sign-intermediate:${caId}`, '--client-san', 'dns:BOB.corp.example']);
    token = cli(['token', 'create', '--name', 'bearer', '--grant', `sign-intermediate:${caId}`]).token;
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sign = (as?: Issued, bearer?: string) => call(daemon!.url, `/api/v1/cert-manager/ca/internal/${caId}/sign-intermediate`, {
    body: body(), token: bearer, tls: { ca: serverCa.cert, cert: as?.cert, key: as?.key },
  });

  it('clientAuth require: mapped certificates sign without any bearer secret; others never finish the handshake', async () => {
    daemon = await startDaemon(env);
    assert.match(daemon.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const byDn = await sign(certs.alice);
    assert.equal(byDn.status, 200, byDn.text);
    assert.equal((await sign(certs.bob)).status, 200, 'mapped by subjectAltName');
    const unmapped = await sign(certs.carol);
    assert.equal(unmapped.status, 401);
    assert.equal(unmapped.body.message, 'Client certificate is not mapped to an identity');
    // TLS 1.3: the server's alert may reach the client as the alert itself or as a reset.
    const handshakeRefused = (e: NodeJS.ErrnoException): boolean => /^(ERR_SSL_|ECONNRESET$|EPIPE$)/.test(e.code ?? '');
    await assert.rejects(sign(certs.mallory), handshakeRefused, 'a certificate from another CA is refused in the handshake');
    await assert.rejects(sign(undefined, token), handshakeRefused, 'no certificate at all is refused in the handshake');
    await assert.rejects(fetch(daemon.url.replace('https:', 'http:') + '/healthz'), 'no plain HTTP on the TLS port');
    assert.equal(await daemon.stop(), 0);
    daemon = undefined;
  });

  it('clientAuth optional: HTTPS with a bearer works; an untrusted certificate is a 401 even with a good bearer', async () => {
    daemon = await startDaemon({ ...env, HSMCA_TLS_CLIENT_AUTH: 'optional' });
    assert.equal((await sign(undefined, token)).status, 200);
    assert.equal((await sign(certs.alice)).status, 200);
    const foreign = await sign(certs.mallory, token);
    assert.equal(foreign.status, 401);
    assert.equal(foreign.body.message, 'Client certificate is not trusted');
    assert.equal(await daemon.stop(), 0);
    daemon = undefined;
  });

  it('the audit trail names the certificate that was used, and the shutdown checkpoints seal it all', () => {
    const lines = runCli(['audit', 'export'], env).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const alice = crypto.createHash('sha256').update(pemToDer(certs.alice.cert)).digest('hex');
    const first = lines.find((l) => l.type === 'event' && l.action === 'sign-intermediate')!;
    assert.deepEqual([first.identity, first.credential, first.status], ['alice', `cert:${alice}`, 200]);
    const report = runCli(['audit', 'verify'], env);
    assert.equal(report.status, 0, report.stdout);
    const r = JSON.parse(report.stdout);
    assert.equal(r.unsealed, 0);
    assert.equal(r.checkpoints, 2, 'one checkpoint at each daemon shutdown');
  });
});
