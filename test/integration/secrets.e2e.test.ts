/**
 * No token secret, PIN or pepper in the database (WAL included), the logs (at trace level) or
 * the audit trail, after a session that creates, uses, mistypes and revokes tokens.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { daemonEnv, runCli, startDaemon } from '../helpers/daemon';
import { call } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import { createSoftHsmToken } from '../helpers/softhsm';

describe('secrets stay out of the database, the logs and the audit trail (built daemon)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let pin: string;
  let pepper: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-secrets-'));
    const hsm = createSoftHsmToken();
    pin = hsm.pin;
    pepper = crypto.randomBytes(32).toString('hex');
    fs.writeFileSync(path.join(dir, 'pin'), `${pin}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'pepper'), `${pepper}\n`, { mode: 0o600 });
    env = { ...daemonEnv(hsm, path.join(dir, 'db', 'hsmca.db')), HSMCA_LOG_LEVEL: 'trace',
      HSMCA_PKCS11_PIN_FILE: path.join(dir, 'pin'), HSMCA_TOKEN_PEPPER_FILE: path.join(dir, 'pepper') };
    delete env.HSMCA_PKCS11_PIN;
    delete env.HSMCA_TOKEN_PEPPER;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the daemon and token commands refuse to run without a pepper of at least 32 bytes', () => {
    const none = runCli(['token', 'create', '--name', 'x', '--admin'], { ...env, HSMCA_TOKEN_PEPPER_FILE: '' });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /^hsmca: invalid configuration: auth\.pepper: set HSMCA_TOKEN_PEPPER_FILE/m);
    const short = runCli(['serve'], { ...env, HSMCA_TOKEN_PEPPER_FILE: '', HSMCA_TOKEN_PEPPER: 'too-short' });
    assert.equal(short.status, 1);
    assert.match(short.stderr, /auth\.pepper: must be at least 32 bytes/);
  });

  it('after tokens are made, used, mistyped and revoked, none of them, nor the PIN or pepper, is stored or logged', async () => {
    const stderr: string[] = [];
    const cli = (args: string[]) => {
      const r = runCli(args, env);
      stderr.push(r.stderr);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const caId = JSON.parse(cli(['ca', 'create-root', '--name', 'root', '--key-algorithm', 'EC_prime256v1', '--common-name', 'R', '--not-after', '2046-01-01T00:00:00Z'])).id;
    const admin = JSON.parse(cli(['token', 'create', '--name', 'root-admin', '--admin'])).token;
    const daemon = await startDaemon(env);
    const api = (p: string, body?: unknown, method?: string) =>
      call(daemon.url, `/api/v1/hsmca/identities${p}`, { token: admin, body, method, raw: true });
    await api('', { name: 'svc', grants: [{ action: 'sign-intermediate', ca: caId }] });
    const made = (await api('/svc/tokens', {})).body;
    const sign = (token: string) => call(daemon.url, `/api/v1/cert-manager/ca/internal/${caId}/sign-intermediate`, {
      token, body: { csr: opensslCsr('P-256').csr, notAfter: new Date(Date.now() + 86400_000).toISOString() },
    });
    assert.equal((await sign(made.token)).status, 200);
    const mistyped = `${made.token.slice(0, -1)}${made.token.endsWith('A') ? 'B' : 'A'}`;
    assert.equal((await sign(mistyped)).status, 401);
    await api(`/svc/tokens/${made.id}`, undefined, 'DELETE');
    assert.equal((await sign(made.token)).status, 401);
    assert.equal(await daemon.stop(), 0);
    stderr.push(daemon.stderr.join('\n'));
    const exported = cli(['audit', 'export']);
    assert.equal(JSON.parse(cli(['audit', 'verify'])).ok, true);

    const logs = stderr.join('\n');
    assert.match(logs, /"msg":"request"/, 'trace logging was on');
    assert.match(logs, /"msg":"audit checkpoint signed"/, 'the shutdown checkpoint is logged too');
    const dbFiles = fs.readdirSync(path.join(dir, 'db')).map((f) => path.join(dir, 'db', f));
    const places: [string, string][] = [
      ['logs', logs], ['audit export', exported],
      ...dbFiles.map((f): [string, string] => [f, fs.readFileSync(f).toString('latin1')]),
    ];
    const secrets = { admin, svc: made.token, mistyped, pin, pepper };
    for (const [where, text] of places) {
      for (const [what, secret] of Object.entries(secrets)) {
        assert.ok(!text.includes(secret), `${what} found in ${where}`);
        if (secret.startsWith('hsmca_')) assert.ok(!text.includes(secret.slice(6)), `${what} (without prefix) found in ${where}`);
      }
    }
  });
});
