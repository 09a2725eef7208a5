/**
 * The operator's pre-flight commands, built and run as the README runs them: `hsmca config check`
 * (the resolved configuration, secrets shown only as where they come from, every problem at once)
 * and `hsmca hsm check` (slots, tokens, each CA key's mechanism and a timed test signature).
 * Long operations report progress on stderr while stdout stays the JSON result.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { daemonEnv, runCli } from '../helpers/daemon';
import { createSoftHsmToken } from '../helpers/softhsm';

describe('CLI: config check, hsm check, progress (e2e)', function () {
  this.timeout(300_000);
  const hsm = createSoftHsmToken();
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-cli-'));
    env = daemonEnv(hsm, path.join(dir, 'hsmca.db'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  /** Unsets the env overrides daemonEnv makes, so the file's values are the ones in force. */
  const fromFile = { HSMCA_LISTEN: '', HSMCA_LOG_LEVEL: '' };

  it('config check prints the resolved configuration with the PIN redacted', () => {
    const pinFile = path.join(dir, 'pin');
    fs.writeFileSync(pinFile, `${hsm.pin}\n`, { mode: 0o600 });
    const file = path.join(dir, 'hsmca.yaml');
    fs.writeFileSync(file, `listen: 127.0.0.1:9443\npkcs11:\n  pinFile: ${pinFile}\n`);
    const r = runCli(['--config', file, 'config', 'check'], { ...env, ...fromFile, HSMCA_PKCS11_PIN: '' });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.file, file);
    assert.equal(report.config.listen, '127.0.0.1:9443');
    assert.equal(report.config.pkcs11.token, hsm.label);
    assert.equal(report.config.pkcs11.pin, `[redacted] (from ${pinFile})`);
    assert.deepEqual(report.problems, []);
    assert.ok(!r.stdout.includes(hsm.pin) && !r.stderr.includes(hsm.pin), 'the PIN never appears');
  });

  it('config check reports every problem at once, one per line, and fails', () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'listen: nowhere\nlogLevel: loud\nsurprise: 1\npkcs11:\n  sessions: 0\n');
    const r = runCli(['--config', file, 'config', 'check'], {
      ...env, ...fromFile, HSMCA_PKCS11_PIN: '', HSMCA_PKCS11_MODULE: '/nonexistent/libvendor.so', HSMCA_PKCS11_PIN_FILE: path.join(dir, 'missing-pin'),
    });
    assert.equal(r.status, 1);
    const problems: string[] = JSON.parse(r.stdout).problems;
    assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(),
      ['listen', 'logLevel', 'pkcs11.module', 'pkcs11.pinFile', 'pkcs11.sessions', 'surprise']);
    assert.deepEqual(r.stderr.trim().split('\n'), problems.map((p) => `hsmca: ${p}`));
  });

  it('create-root shows progress on stderr while an RSA-4096 key is generated; stdout is the CA alone', () => {
    const r = runCli(['ca', 'create-root', '--name', 'rsa-root', '--key-algorithm', 'RSA_4096',
      '--common-name', 'RSA Root', '--not-after', '2040-01-01T00:00:00Z'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).name, 'rsa-root');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines[0], 'generating the RSA_4096 key pair in the token and self-signing…');
    assert.match(lines[lines.length - 1], /^generating the RSA_4096 key pair in the token and self-signing: done in \d+\.\d s$/);
  });

  it('hsm check lists the token, each CA key with its mechanism and a verified, timed test signature', () => {
    const ec = runCli(['ca', 'create-root', '--name', 'ec-root', '--key-algorithm', 'EC_secp384r1',
      '--common-name', 'EC Root', '--not-after', '2040-01-01T00:00:00Z'], env);
    assert.equal(ec.status, 0, ec.stderr);
    const r = runCli(['hsm', 'check'], env);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const slot = report.module.slots.find((s: { token?: { label: string } }) => s.token?.label === hsm.label);
    assert.ok(slot, 'the token is listed');
    assert.ok(slot.token.flags.includes('TOKEN_INITIALIZED'));
    assert.ok(slot.token.signMechanisms.includes('CKM_ECDSA'));
    assert.deepEqual(report.login, { ok: true });
    assert.equal(report.health.ok, true);
    const byCa = Object.fromEntries(report.keys.map((k: { ca: string }) => [k.ca, k]));
    assert.deepEqual(
      [byCa['rsa-root'].mechanism, byCa['rsa-root'].signatureAlgorithm, byCa['ec-root'].mechanism, byCa['ec-root'].signatureAlgorithm],
      ['CKM_SHA256_RSA_PKCS', 'sha256WithRSAEncryption', 'CKM_ECDSA', 'ecdsa-with-SHA384'],
    );
    for (const k of report.keys) assert.ok(k.ok && typeof k.latencyMs === 'number', JSON.stringify(k));
    assert.equal(report.ok, true);
    assert.match(r.stderr, /test signature with ec-root: done in/);
  });

  it('hsm check with a wrong PIN: slots still listed, login error named, exit 1, keys not tried', () => {
    const r = runCli(['hsm', 'check', '--key', `pkcs11:token=${hsm.label};object=nothing`], { ...env, HSMCA_PKCS11_PIN: 'wrong-pin' });
    assert.equal(r.status, 1);
    const report = JSON.parse(r.stdout);
    assert.ok(report.module.slots.length >= 1);
    assert.deepEqual(report.login, { ok: false, error: 'HSM login failed: PIN incorrect (CKR_PIN_INCORRECT)' });
    assert.ok(report.keys.every((k: { ok: boolean; error: string }) => !k.ok && k.error === 'not checked: no login'));
    assert.equal(r.stderr.trim().split('\n').pop(), 'hsmca: HSM login failed: PIN incorrect (CKR_PIN_INCORRECT)');
  });
});
