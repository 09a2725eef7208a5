/**
 * The built daemon on a real SoftHSM token seen through the fault-injecting PKCS#11 shim: faults
 * are injected for real (the shim returns CKR_* codes, closes every real session, makes the
 * library forget its state, delays C_Sign or the calls that re-open the token) while clients keep
 * signing. Whatever happens, every request ends (none hangs), none is a 500, HSM trouble is a 503
 * with Retry-After, readiness says why, and the daemon recovers without a restart — except a
 * refused PIN, which it never retries.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { daemonEnv, runCli, startDaemon, type Daemon } from '../helpers/daemon';
import { call } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';
import { createShim, type Shim } from '../helpers/pkcs11-shim';
import { createSoftHsmToken } from '../helpers/softhsm';

const HANG_MS = 15_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Fixture {
  daemon: Daemon;
  shim: Shim;
  sign(): Promise<number>;
  ready(): Promise<{ status: number; body: any }>;
}

/** Statuses of everything `clients` concurrent signers got during `ms`; throws on a hang. */
async function hammer(f: Fixture, ms: number, clients = 8): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  const end = Date.now() + ms;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < end) {
      const status = await Promise.race([f.sign(), sleep(HANG_MS).then(() => -1)]);
      assert.notEqual(status, -1, 'a request hung');
      counts[status] = (counts[status] ?? 0) + 1;
    }
  }));
  return counts;
}

function assertOnly(counts: Record<number, number>, allowed: number[]): void {
  for (const status of Object.keys(counts).map(Number)) {
    assert.ok(allowed.includes(status), `unexpected ${status} in ${JSON.stringify(counts)}`);
  }
}

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('fault injection through a PKCS#11 shim (built daemon)', function () {
  this.timeout(180_000);
  const hsm = createSoftHsmToken();
  let dir: string;
  const running: Daemon[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-fault-'));
  });
  after(async () => {
    await Promise.all(running.map((d) => d.stop('SIGKILL')));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh database and root CA on the shared token, and the daemon on the shim. */
  async function start(name: string, extra: Record<string, string> = {}, rules: string[] = []): Promise<Fixture> {
    const shim = createShim(name);
    const env = daemonEnv(hsm, path.join(dir, `${name}.db`), {
      ...shim.env, HSMCA_PKCS11_MODULE: shim.module, HSMCA_WORKERS: '1', HSMCA_PKCS11_SIGN_TIMEOUT_MS: '1000', ...extra,
    });
    const cliEnv = { ...env, HSMCA_PKCS11_PIN: hsm.pin };
    const ca = JSON.parse(runCli(['ca', 'create-root', '--name', name, '--key-algorithm', 'EC_prime256v1',
      '--common-name', `${name} root`, '--not-after', '2046-01-01T00:00:00Z'], cliEnv).stdout);
    const token = JSON.parse(runCli(['token', 'create', '--name', name, '--grant', '*:*'], cliEnv).stdout).token;
    const { csr } = opensslCsr('P-256', { subject: `/CN=${name} intermediate` });
    shim.set(...rules);
    shim.forgetLogins(); // the CLI's own logins above
    const daemon = await startDaemon(env);
    running.push(daemon);
    const body = { csr, notAfter: '2036-01-01T00:00:00Z', maxPathLength: 0 };
    return {
      daemon,
      shim,
      async sign() {
        const r = await call(daemon.url, `/api/v1/cert-manager/ca/internal/${ca.id}/sign-intermediate`, { token, body });
        if (r.status === 503) {
          assert.equal(r.body.error, 'ServiceUnavailable');
          assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After');
        }
        return r.status;
      },
      async ready() {
        const r = await call(daemon.url, '/readyz');
        return { status: r.status, body: r.body };
      },
    };
  }

  it('session loss: sessions that answer CKR_SESSION_HANDLE_INVALID are dropped, re-opened, retried', async () => {
    const f = await start('session-loss');
    f.shim.set('fail C_Sign 0xB3 20', 'fail C_SignInit 0xB0 10');
    const counts = await hammer(f, 2_000);
    assertOnly(counts, [200, 503]);
    f.shim.clear();
    assertOnly(await hammer(f, 500), [200]);
    assert.equal((await f.ready()).status, 200);
  });

  it('token removal and return: 503 with the reason while it is gone, back without a restart', async () => {
    const f = await start('removal');
    assertOnly(await hammer(f, 300), [200]);
    f.shim.set('removed');
    const during = await hammer(f, 2_000);
    assertOnly(during, [200, 503]);
    assert.ok(during[503] > 0, 'requests while the token is gone are refused');
    const ready = await f.ready();
    assert.equal(ready.status, 503);
    assert.match(ready.body.message, /^Not ready: HSM: .*\(retrying\)/);
    f.shim.clear();
    await until('ready again', async () => (await f.ready()).status === 200);
    assertOnly(await hammer(f, 500), [200]);
  });

  it('module re-initialisation: a library that forgot its state is finalized, re-initialised, logged in', async () => {
    const f = await start('reinit');
    assertOnly(await hammer(f, 300), [200]);
    f.shim.set('uninit');
    assertOnly(await hammer(f, 2_000), [200, 503]);
    await until('ready again', async () => (await f.ready()).status === 200);
    assertOnly(await hammer(f, 500), [200]);
  });

  it('a hung C_Sign: requests end with 503 after the sign timeout, none hangs', async () => {
    const f = await start('hang');
    f.shim.set('delay C_Sign 3000');
    const counts = await hammer(f, 2_500, 6);
    assertOnly(counts, [503]);
    f.shim.clear();
    await until('signing again', async () => (await f.sign()) === 200);
  });

  it('one hung C_Sign under load: only its request fails; the signatures queued behind it are made elsewhere', async () => {
    const f = await start('hang-one', { HSMCA_PKCS11_SIGN_TIMEOUT_MS: '2500' });
    assertOnly(await hammer(f, 300, 6), [200]);
    f.shim.set('delay C_Sign 4000 1'); // the next C_Sign only, past the sign timeout
    const counts = await hammer(f, 3_000, 6);
    // Queued behind it on its signing thread, the others would wait for it and time out too.
    assert.equal(counts[503], 1, JSON.stringify(counts));
    assertOnly(counts, [200, 503]);
  });

  it('an HSM that hangs while being re-opened: 503s, the daemon answers meanwhile, then recovers', async () => {
    const f = await start('hung-reopen');
    assertOnly(await hammer(f, 300), [200]);
    // One lost session sends the token to recovery, where C_OpenSession and C_Login hang.
    f.shim.set('fail C_Sign 0xB3 1', 'delay C_OpenSession 4000', 'delay C_Login 4000');
    const during = hammer(f, 3_000, 4);
    // Re-opening runs on the control thread: the worker's event loop answers health probes meanwhile.
    for (let i = 0; i < 10; i++) {
      const status = await Promise.race([call(f.daemon.url, '/healthz').then((r) => r.status), sleep(2_000).then(() => -1)]);
      assert.equal(status, 200, 'the daemon answered /healthz while the HSM hung');
      await sleep(200);
    }
    const counts = await during;
    assertOnly(counts, [200, 503]);
    assert.ok(counts[503] > 0, 'requests while the token hangs are refused');
    f.shim.clear();
    await until('ready again', async () => (await f.ready()).status === 200);
    assertOnly(await hammer(f, 500), [200]);
  });

  it('a library that hangs in C_Initialize at start-up: the daemon listens, says why, then comes up', async () => {
    // Each process's first C_Initialize hangs 6 s, against the 1 s limit on a token call.
    const f = await start('hung-init', {}, ['delay C_Initialize 6000 1']);
    // Listening while C_Initialize still hangs: it runs on the control thread, not the event loop.
    assert.equal((await call(f.daemon.url, '/healthz')).status, 200);
    const ready = await f.ready();
    assert.equal(ready.status, 503);
    assert.match(ready.body.message, /initialize did not answer|C_Initialize has not answered/);
    assertOnly(await hammer(f, 1_000, 4), [503]);
    await until('ready once C_Initialize answers', async () => (await f.ready()).status === 200);
    assertOnly(await hammer(f, 500), [200]);
  });

  it('wrong PIN: one login attempt, then not-ready with the reason and 503s, never retried', async () => {
    const f = await start('wrong-pin', { HSMCA_PKCS11_PIN: 'not-the-pin', HSMCA_WORKERS: '2' });
    assertOnly(await hammer(f, 1_000, 4), [503]);
    const ready = await f.ready();
    assert.equal(ready.status, 503);
    assert.equal(ready.body.message, 'Not ready: HSM: HSM login failed: PIN incorrect');
    await sleep(1_500); // longer than the first retry back-off and the readiness cache: nothing may have tried again
    assert.equal((await f.ready()).status, 503); // a fresh readiness check: it must not log in either
    assert.deepEqual(f.shim.logins(), ['0xa0']);
    assert.ok(f.daemon.stderr.some((l) => /PIN incorrect/.test(l) && /not retrying/.test(l)), f.daemon.stderr.join('\n'));
  });

  it('a CA whose key needs a mechanism the token lacks is named at start-up', async () => {
    const f = await start('no-ecdsa', {}, ['nomech 0x1041']);
    await until('the start-up report', async () => f.daemon.stderr.some((l) => /CA cannot sign/.test(l)));
    const line = f.daemon.stderr.find((l) => /CA cannot sign/.test(l))!;
    assert.match(line, /CA no-ecdsa \(/);
    assert.match(line, /CKM_ECDSA/);
    const ready = await f.ready();
    assert.equal(ready.status, 503);
    assert.match(ready.body.message, /CA no-ecdsa .*CKM_ECDSA/);
  });
});
