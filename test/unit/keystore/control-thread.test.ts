/**
 * Token calls other than signatures run on the control thread (src/keystore/pkcs11/control-thread.ts):
 * a token that hangs while it is being re-opened, or while a key is looked up, must leave the
 * event loop free and answer with HsmUnavailable once the sign timeout has passed. The token is
 * SoftHSM behind the fault shim, in this process.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../../src/errors';
import { openPkcs11KeyStore, type KeyStore, type SessionUsage } from '../../../src/keystore';
import { createShim, type Shim } from '../../helpers/pkcs11-shim';
import { createSoftHsmToken } from '../../helpers/softhsm';

const TIMEOUT_MS = 600;
const HANG_MS = 2_500;

/** Runs `fn`, counting the ticks a 20 ms interval gets meanwhile: a blocked loop gets ~none. */
async function ticksDuring<T>(fn: () => Promise<T>): Promise<{ ticks: number; result: PromiseSettledResult<T> }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  try {
    const [result] = await Promise.allSettled([fn()]);
    return { ticks, result };
  } finally {
    clearInterval(timer);
  }
}

function assertTimedOut(result: PromiseSettledResult<unknown>, op: RegExp): void {
  assert.equal(result.status, 'rejected');
  const err = (result as PromiseRejectedResult).reason;
  assert.ok(err instanceof AppError && err.kind === 'HsmUnavailable', String(err));
  assert.match(err.message, op);
}

describe('keystore/pkcs11 control thread', function () {
  this.timeout(60_000);
  const token = createSoftHsmToken();
  const other = createSoftHsmToken();
  const slow = createSoftHsmToken();
  let shim: Shim;
  let ks: KeyStore;
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    shim = createShim('control-thread');
    for (const [k, v] of Object.entries(shim.env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    ks = await openPkcs11KeyStore({
      module: shim.module, tokenLabel: token.label, pin: token.pin, sessions: 2, signTimeoutMs: TIMEOUT_MS, lenient: true,
    });
  });
  afterEach(() => shim.clear());
  after(async () => {
    shim.clear();
    await ks?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('a C_OpenSession that hangs during recovery: the loop runs on, the request gets a 503, the token comes back', async () => {
    const signer = await ks.openSigner((await ks.generateKeyInToken('EC_prime256v1', 'reopen')).uri);
    await signer.sign(randomBytes(10));
    // One lost session sends the token to recovery, where every C_OpenSession hangs.
    shim.set('fail C_Sign 0xB3 1', `delay C_OpenSession ${HANG_MS}`);
    const { ticks, result } = await ticksDuring(() => signer.sign(randomBytes(10)));
    // The request's own sign timeout, which the hung re-open runs under.
    assertTimedOut(result, new RegExp(`PKCS#11 sign timed out after ${TIMEOUT_MS} ms`));
    // Blocked in the call, the loop would have run the interval about once.
    assert.ok(ticks >= TIMEOUT_MS / 20 / 2, `the event loop ran ${ticks} timer ticks`);
    // The re-open is given up in its turn: the token is down, says why, and keeps trying.
    await until(() => ks.status?.().ready === false);
    assert.match(String(ks.status?.().reason), /PKCS#11 openSession did not answer/);
    shim.clear();
    await until(() => ks.status?.().ready === true);
    assert.ok((await signer.sign(randomBytes(10))).length > 0);
  });

  it('a key search that hangs: openSigner ends with a 503, and the loop runs meanwhile', async () => {
    const key = await ks.generateKeyInToken('EC_prime256v1', 'lookup');
    shim.set(`delay C_FindObjectsInit ${HANG_MS}`);
    const { ticks, result } = await ticksDuring(() => ks.openSigner(key.uri));
    assertTimedOut(result, /PKCS#11 findKey did not answer/);
    assert.ok(ticks >= TIMEOUT_MS / 20 / 2, `the event loop ran ${ticks} timer ticks`);
    shim.clear();
    // The next call gets a fresh thread, while the one given up is still inside the library.
    assert.ok((await ks.openSigner(key.uri)).spki.equals(key.spki));
  });

  it('keeps at most four threads waiting on a hung library; beyond that calls fail at once, until they come back', async () => {
    await sleep(HANG_MS); // threads given up in the tests above are back by now
    const key = await ks.generateKeyInToken('EC_prime256v1', 'capped');
    shim.set(`delay C_FindObjectsInit ${HANG_MS}`);
    for (let i = 0; i < 4; i++) await assert.rejects(ks.openSigner(key.uri), /PKCS#11 findKey did not answer/);
    const { result } = await ticksDuring(() => ks.openSigner(key.uri));
    assertTimedOut(result, /4 PKCS#11 calls have not returned/);
    assert.equal((ks as unknown as SessionUsage).sessionUsage().hung, 4, 'what hsmca_hsm_calls_hung reports');
    shim.clear();
    // Each given-up thread ends once its call returns; then calls are made again.
    let signer;
    const deadline = Date.now() + 10_000;
    while (!signer && Date.now() < deadline) {
      signer = await ks.openSigner(key.uri).catch(() => sleep(100).then(() => undefined));
    }
    assert.ok(signer?.spki.equals(key.spki));
  });

  it('a C_Login that answers only after its time limit is not repeated meanwhile; a late refusal stops the retries', async () => {
    // A slow token and a wrong PIN: every C_Login made counts against the PIN's tries.
    shim.set('delay C_Login 1500');
    shim.forgetLogins();
    const wrong = await openPkcs11KeyStore({
      module: shim.module, tokenLabel: other.label, pin: 'not-the-pin', sessions: 1, signTimeoutMs: TIMEOUT_MS, lenient: true,
    });
    try {
      assert.equal(wrong.status().ready, false);
      await until(() => /PIN incorrect/.test(String(wrong.status().reason)));
      assert.equal(wrong.status().retrying, false);
      await sleep(1_500); // past the retries' back-off: none may log in again
      assert.deepEqual(shim.logins(), ['0xa0']);
    } finally {
      await wrong.close();
    }
  });

  it('a C_Login that always answers after its time limit still brings the token up: the late login is kept', async () => {
    shim.set('delay C_Login 1500');
    shim.forgetLogins();
    const late = await openPkcs11KeyStore({
      module: shim.module, tokenLabel: slow.label, pin: slow.pin, sessions: 1, signTimeoutMs: TIMEOUT_MS, lenient: true,
    });
    try {
      assert.equal(late.status().ready, false);
      await until(() => late.status().ready);
      const key = await late.generateKeyInToken('EC_prime256v1', 'late-login');
      const signer = await late.openSigner(key.uri);
      assert.ok((await signer.sign(Buffer.from('after a late login'))).length > 0);
      assert.deepEqual(shim.logins(), ['0x0']); // one C_Login: the late one was used, not repeated
    } finally {
      await late.close();
    }
  });
});

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
