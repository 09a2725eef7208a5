import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, loadPepper } from '../../../src/config/load';

const base = { HSMCA_PKCS11_MODULE: '/lib/x.so', HSMCA_PKCS11_TOKEN: 't' };
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(undefined, { ...base, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('config: auth, audit and tls settings', () => {
  it('defaults: checkpoints every 300 s with the hsmca-audit key; no TLS', () => {
    const c = loadConfig(undefined, base);
    assert.deepEqual(c.audit, { checkpointIntervalSeconds: 300, keyLabel: 'hsmca-audit' });
    assert.equal(c.tls, undefined);
  });

  it('env overrides, a digits-only key label staying a string', () => {
    const c = loadConfig(undefined, { ...base, HSMCA_AUDIT_CHECKPOINT_INTERVAL: '0', HSMCA_AUDIT_KEY_LABEL: '0042',
      HSMCA_TLS_CERT_FILE: 'c.pem', HSMCA_TLS_KEY_FILE: 'k.pem', HSMCA_TLS_CLIENT_CA_FILE: 'ca.pem', HSMCA_TLS_CLIENT_AUTH: 'optional' });
    assert.deepEqual(c.audit, { checkpointIntervalSeconds: 0, keyLabel: '0042' });
    assert.deepEqual(c.tls, { certFile: 'c.pem', keyFile: 'k.pem', clientCaFile: 'ca.pem', clientAuth: 'optional' });
  });

  it('TLS settings that cannot work are refused, all at once', () => {
    assert.deepEqual(problems({ HSMCA_TLS_CLIENT_AUTH: 'require' }).sort(), ['tls.certFile: is required', 'tls.clientCaFile: is required', 'tls.keyFile: is required']);
    assert.match(problems({ HSMCA_TLS_CERT_FILE: 'c', HSMCA_TLS_KEY_FILE: 'k', HSMCA_TLS_CLIENT_AUTH: 'sometimes' }).join(), /tls\.clientAuth: must be one of none, optional, require/);
    assert.match(problems({ HSMCA_AUDIT_CHECKPOINT_INTERVAL: '100000' }).join(), /audit\.checkpointIntervalSeconds/);
  });

  it('the pepper: from the environment or a file, at least 32 bytes, never from the config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-pepper-'));
    try {
      const file = path.join(dir, 'pepper');
      fs.writeFileSync(file, `${'a'.repeat(64)}\nignored\n`);
      fs.chmodSync(file, 0o600);
      const c = loadConfig(undefined, { ...base, HSMCA_TOKEN_PEPPER_FILE: file });
      assert.equal(loadPepper(c, {}).pepper, 'a'.repeat(64));
      assert.equal(loadPepper(c, { HSMCA_TOKEN_PEPPER: 'b'.repeat(32) }).pepper, 'b'.repeat(32));
      assert.throws(() => loadPepper(loadConfig(undefined, base), {}), /auth\.pepper: set HSMCA_TOKEN_PEPPER_FILE/);
      assert.throws(() => loadPepper(c, { HSMCA_TOKEN_PEPPER: 'short' }), /at least 32 bytes/);
      const yaml = path.join(dir, 'c.yaml');
      fs.writeFileSync(yaml, 'auth:\n  pepper: inline-secret-is-refused\n');
      assert.throws(() => loadConfig(yaml, base), /auth\.pepper: unknown setting/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
