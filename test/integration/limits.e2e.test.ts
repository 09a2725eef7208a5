/**
 * Limits with clear errors, on the built daemon: body size, JSON depth, header size, header
 * and request timeouts (slow-loris), connection cap, per-identity rate limit; secure defaults;
 * and no secret sent in a bad request ever reaches the logs or the audit trail.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { daemonEnv, runCli, startDaemon, type Daemon } from '../helpers/daemon';
import { call } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import { createSoftHsmToken } from '../helpers/softhsm';

/** Sends raw bytes on a fresh socket and resolves with everything the daemon answers. */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname, () => s.write(bytes));
    let out = '';
    s.on('data', (d) => (out += d)).on('close', () => resolve(out)).on('error', reject);
  });
}

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

describe('limits and secure defaults (e2e)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let d: Daemon;
  let caId: string;
  let token: string;
  const sign = `/api/v1/cert-manager/ca/internal/`;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-limits-'));
    env = daemonEnv(createSoftHsmToken(), path.join(dir, 'hsmca.db'), {
      HSMCA_HEADERS_TIMEOUT_MS: '1500', HSMCA_REQUEST_TIMEOUT_MS: '3000', HSMCA_MAX_CONNECTIONS: '40',
      HSMCA_RATE_PER_SECOND: '5', HSMCA_RATE_BURST: '10', HSMCA_HEADER_LIMIT: '4096', HSMCA_LOG_LEVEL: 'debug',
      // One process: the connection cap and the rate are per process (the README says so).
      HSMCA_WORKERS: '1',
    });
    caId = JSON.parse(runCli(['ca', 'create-root', '--name', 'r', '--key-algorithm', 'EC_prime256v1', '--common-name', 'R',
      '--not-after', '2040-01-01T00:00:00Z'], env).stdout).id;
    token = JSON.parse(runCli(['token', 'create', '--name', 'limits', '--grant', '*:*'], env).stdout).token;
    d = await startDaemon(env);
  });
  after(async () => {
    await d?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('security headers on every response, no X-Powered-By, no Server', async () => {
    for (const p of ['/healthz', `${sign}${caId}`, '/nope']) {
      const res = await fetch(d.url + p);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('cache-control'), p.startsWith(sign) ? 'no-store' : res.headers.get('cache-control'));
      assert.ok(res.headers.get('content-security-policy'));
      assert.equal(res.headers.get('x-powered-by'), null);
      assert.equal(res.headers.get('server'), null);
    }
  });

  it('JSON nested deeper than 32 → 400; over 64 KiB → 413', async () => {
    const deep = `{"csr":${'['.repeat(40)}${']'.repeat(40)}}`;
    const res = await call(d.url, `${sign}${caId}/sign-intermediate`, { token, body: deep, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.message, 'JSON nesting is deeper than 32 levels');
    const big = await call(d.url, `${sign}${caId}/sign-intermediate`, { token, body: { csr: 'x'.repeat(65 * 1024), notAfter: 'x' } });
    assert.equal(big.status, 413);
    assert.equal(big.body.error, 'PayloadTooLarge');
  });

  it('request headers over the limit → 431 in the error shape', async () => {
    const out = await raw(d.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 431 /);
    const body = bodyOf(out);
    assert.deepEqual(Object.keys(body), ['reqId', 'statusCode', 'message', 'error']);
    assert.equal(body.statusCode, 431);
  });

  it('malformed HTTP → 400 in the error shape', async () => {
    const out = await raw(d.url, 'GARBAGE\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.equal(bodyOf(out).error, 'BadRequest');
  });

  it('slow-loris clients are cut off with a 408 and do not hold up anyone else', async () => {
    const fresh = JSON.parse(runCli(['token', 'create', '--name', 'patient', '--grant', '*:*'], env).stdout).token;
    const { hostname, port } = new URL(d.url);
    const slow = Array.from({ length: 20 }, () => new Promise<string>((resolve) => {
      const s = net.connect(Number(port), hostname, () => s.write('POST /healthz HTTP/1.1\r\nHost: x\r\n'));
      const drip = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 200);
      let out = '';
      s.on('data', (c) => (out += c)).on('close', () => {
        clearInterval(drip);
        resolve(out);
      }).on('error', () => undefined);
    }));
    let slowDone = 0;
    for (const p of slow) p.then(() => slowDone++);
    for (let i = 0; i < 10; i++) {
      const res = await call(d.url, `${sign}${caId}`, { token: fresh });
      assert.equal(res.status, 200);
    }
    assert.equal(slowDone, 0, 'every normal request was answered while the slow clients were still connected');
    for (const out of await Promise.all(slow)) assert.match(out, /^HTTP\/1\.1 408 /);
  });

  it('connections beyond maxConnections are closed at once', async () => {
    const { hostname, port } = new URL(d.url);
    const held = await Promise.all(Array.from({ length: 40 }, () => new Promise<net.Socket>((r) => {
      const s = net.connect(Number(port), hostname, () => r(s));
    })));
    const extra = await raw(d.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n').catch(() => '');
    assert.equal(extra, '', 'the connection over the cap gets no answer');
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(`${d.url}/healthz`)).status, 200);
  });

  it('an identity over its rate gets 429 RateLimitExceeded with Retry-After', async () => {
    const limited = JSON.parse(runCli(['token', 'create', '--name', 'rate', '--grant', '*:*'], env).stdout).token;
    const results = [];
    for (let i = 0; i < 25; i++) results.push(await call(d.url, `${sign}${caId}`, { token: limited }));
    const refused = results.filter((r) => r.status === 429);
    assert.ok(refused.length >= 10, `${refused.length} refused`);
    assert.equal(refused[0].body.error, 'RateLimitExceeded');
    assert.match(refused[0].headers.get('retry-after') ?? '', /^\d+$/);
  });

  it('secrets in bad requests reach neither the logs nor the audit trail', async () => {
    const pin = env.HSMCA_PKCS11_PIN!;
    const secretToken = JSON.parse(runCli(['token', 'create', '--name', 'secret', '--grant', '*:*'], env).stdout).token;
    const { csr } = opensslCsr('P-256');
    const bad = [
      { path: `${sign}${caId}/sign-intermediate?pin=${pin}&token=${secretToken}`, body: { csr, notAfter: 'x', pin } },
      { path: `${sign}${secretToken}/sign-intermediate`, body: { csr: `${csr}${pin}`, notAfter: '2030-01-01T00:00:00Z' } },
      { path: `${sign}${caId}/sign-intermediate`, body: { csr: secretToken, notAfter: pin, [pin]: secretToken } },
    ];
    for (const b of bad) {
      const res = await call(d.url, b.path, { token, body: b.body, headers: { 'content-type': 'application/json', 'x-pin': pin } });
      assert.ok(res.status >= 400);
      assert.ok(!res.text.includes(pin), 'the response does not echo the PIN');
    }
    await call(d.url, `${sign}${caId}`, { token: `${secretToken}x` });
    await new Promise((r) => setTimeout(r, 300));
    const logs = d.stderr.join('\n');
    assert.ok(logs.length > 0);
    for (const secret of [pin, secretToken, token]) assert.ok(!logs.includes(secret), 'log carries a secret');
    const db = new SQLite(env.HSMCA_DATABASE!, { readonly: true });
    const audit = JSON.stringify(db.prepare('SELECT * FROM audit_events').all());
    db.close();
    for (const secret of [pin, secretToken, token]) assert.ok(!audit.includes(secret), 'audit carries a secret');
  });

  it('a PIN file every user can read is refused', () => {
    const pinFile = path.join(dir, 'pin');
    fs.writeFileSync(pinFile, `${env.HSMCA_PKCS11_PIN}\n`, { mode: 0o644 });
    fs.chmodSync(pinFile, 0o644);
    const r = runCli(['ca', 'create-root', '--name', 'x', '--key-algorithm', 'EC_prime256v1', '--common-name', 'x',
      '--not-after', '2040-01-01T00:00:00Z'], { ...env, HSMCA_PKCS11_PIN: '', HSMCA_PKCS11_PIN_FILE: pinFile });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /readable by every user/);
    fs.chmodSync(pinFile, 0o600);
    const ok = runCli(['ca', 'list'], { ...env, HSMCA_PKCS11_PIN: '', HSMCA_PKCS11_PIN_FILE: pinFile });
    assert.equal(ok.status, 0, ok.stderr);
  });
});
