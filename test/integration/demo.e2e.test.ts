/** The README's first command, as written, on its own SoftHSM token and var directory. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

describe('npm run demo', function () {
  this.timeout(300_000);

  it('creates a root in a SoftHSM token, signs an intermediate over HTTP, and OpenSSL accepts it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-demo-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, HSMCA_VAR: dir, HSMCA_LISTEN: '127.0.0.1:0' };
      delete env.SOFTHSM2_CONF;
      const r = spawnSync('npm', ['run', '--silent', 'demo', '--', '--once'], {
        cwd: path.resolve(__dirname, '../..'), env, encoding: 'utf8', timeout: 280_000,
      });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /HTTP 200/);
      assert.match(r.stdout, /intermediate\.pem: OK/);
      assert.ok(fs.existsSync(path.join(dir, 'softhsm', 'tokens')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
