/**
 * Signatures run on signing threads (src/keystore/pkcs11/sign-threads.ts): C_SignInit as well
 * as C_Sign off the event loop, token errors still classified by their CKR_ code, and a thread
 * that dies fails its signatures as HsmUnavailable instead of leaving them waiting. The token
 * is SoftHSM behind the fault shim, in this process.
 */
import assert from 'node:assert/strict';
import { randomBytes, verify } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../../src/errors';
import { openPkcs11KeyStore, type KeyStore, type Signer } from '../../../src/keystore';
import { SignThreads } from '../../../src/keystore/pkcs11/sign-threads';
import { createShim, type Shim } from '../../helpers/pkcs11-shim';
import { createSoftHsmToken } from '../../helpers/softhsm';

const verifies = (signer: Signer, tbs: Buffer, sig: Buffer): boolean =>
  verify('sha256', tbs, { key: signer.spki, format: 'der', type: 'spki', dsaEncoding: 'der' }, sig);

describe('keystore/pkcs11 signing threads', function () {
  this.timeout(60_000);
  const token = createSoftHsmToken();
  let shim: Shim;
  const saved: Record<string, string | undefined> = {};
  const stores: KeyStore[] = [];

  const open = async (signThreads: number): Promise<KeyStore> => {
    const ks = await openPkcs11KeyStore({
      module: shim.module, tokenLabel: token.label, pin: token.pin, sessions: 4, signThreads, signTimeoutMs: 5_000,
    });
    stores.push(ks);
    return ks;
  };

  before(() => {
    shim = createShim('sign-threads');
    // The shim reads its environment on each call, from whichever thread makes it.
    for (const [k, v] of Object.entries(shim.env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterEach(() => shim.clear());
  after(async () => {
    for (const ks of stores) await ks.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  for (const threads of [1, 3]) {
    it(`${threads} thread(s): concurrent signatures all verify`, async () => {
      const ks = await open(threads);
      const key = await ks.generateKeyInToken('EC_prime256v1', `threads-${threads}`);
      const signer = await ks.openSigner(key.uri);
      const tbs = Array.from({ length: 40 }, () => randomBytes(300));
      const sigs = await Promise.all(tbs.map((t) => signer.sign(t)));
      tbs.forEach((t, i) => assert.ok(verifies(signer, t, sigs[i]), `signature ${i}`));
    });
  }

  it('a slow C_SignInit does not hold up the event loop', async () => {
    const ks = await open(1);
    const signer = await ks.openSigner((await ks.generateKeyInToken('EC_prime256v1', 'slow-init')).uri);
    shim.set('delay C_SignInit 400');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    try {
      const tbs = randomBytes(100);
      assert.ok(verifies(signer, tbs, await signer.sign(tbs)));
    } finally {
      clearInterval(timer);
    }
    // Blocked, the loop would have run the interval at most once, after the signature.
    assert.ok(ticks >= 10, `the event loop ran ${ticks} timer ticks during a 400 ms C_SignInit`);
  });

  it('a hung C_Sign holds its thread, not the signatures that come after it: another thread takes them', async () => {
    const ks = await open(1);
    const signer = await ks.openSigner((await ks.generateKeyInToken('EC_prime256v1', 'stalled')).uri);
    shim.set('delay C_Sign 2500 1'); // the next C_Sign only
    let firstDone = false;
    const tbs = [randomBytes(10), randomBytes(10)];
    const first = signer.sign(tbs[0]).finally(() => (firstDone = true));
    await sleep(1_200); // past the stall threshold (1 s)
    const second = await signer.sign(tbs[1]);
    assert.equal(firstDone, false, 'the second signature came back while the first still hung');
    assert.ok(verifies(signer, tbs[1], second));
    assert.ok(verifies(signer, tbs[0], await first));
  });

  it('signatures sent to a thread behind a hung C_Sign are taken back and made on another thread', async () => {
    const ks = await open(1);
    const signer = await ks.openSigner((await ks.generateKeyInToken('EC_prime256v1', 'behind')).uri);
    shim.set('delay C_Sign 3000 1'); // the next C_Sign only
    let firstDone = false;
    const tbs = Array.from({ length: 4 }, () => randomBytes(10));
    // In one event-loop turn: one message to the one thread, the first job hangs, three wait.
    const [first, ...behind] = tbs.map((t) => signer.sign(t));
    void first.finally(() => (firstDone = true));
    const sigs = await Promise.all(behind);
    assert.equal(firstDone, false, 'the jobs behind the hung one came back while it still hung');
    sigs.forEach((sig, i) => assert.ok(verifies(signer, tbs[i + 1], sig), `signature ${i + 1}`));
    assert.ok(verifies(signer, tbs[0], await first));
  });

  it('signatures whose requests gave up before a thread started them are never made, and free their sessions', async () => {
    let signed = 0;
    const ks = await openPkcs11KeyStore({
      module: shim.module, tokenLabel: token.label, pin: token.pin, sessions: 4, signThreads: 1, signTimeoutMs: 600,
      events: { signed: () => signed++ },
    });
    stores.push(ks);
    const signer = await ks.openSigner((await ks.generateKeyInToken('EC_prime256v1', 'given-up')).uri);
    shim.set('delay C_Sign 2500 1'); // the next C_Sign only
    // In one event-loop turn: the first hangs, the other two wait behind it on the one thread.
    const outcomes = Array.from({ length: 3 }, () => signer.sign(randomBytes(10)).then(() => 'signed', (e: AppError) => e.kind));
    assert.deepEqual(await Promise.all(outcomes), ['HsmUnavailable', 'HsmUnavailable', 'HsmUnavailable']);
    await sleep(100);
    // The two that never started are back in the pool; the hung one holds its session.
    assert.equal(ks.sessionUsage().inUse, 1);
    await sleep(2_700); // the hung C_Sign answers; nothing else was signed meanwhile
    assert.equal(signed, 1);
  });

  it('jobs moved between threads while several hang are each signed once, and all verify', async () => {
    const ks = await open(1);
    const signer = await ks.openSigner((await ks.generateKeyInToken('EC_prime256v1', 'moved')).uri);
    // Each thread's first C_Sign hangs in turn, so jobs are taken back more than once, and
    // once every thread (1 + 2 extra) is stalled, given back to one of them.
    shim.set('delay C_Sign 1300 3');
    const tbs = Array.from({ length: 30 }, () => randomBytes(10));
    const sigs = await Promise.all(tbs.map((t) => signer.sign(t)));
    // A job started on two threads would have met CKR_OPERATION_ACTIVE on its session.
    sigs.forEach((sig, i) => assert.ok(verifies(signer, tbs[i], sig), `signature ${i}`));
  });

  it("the token's error comes back from the thread with its CKR_ code, as a 503", async () => {
    const ks = await open(1);
    const signer = await ks.openSigner((await ks.generateKeyInToken('EC_prime256v1', 'refused')).uri);
    shim.set('fail C_SignInit 0x6'); // CKR_FUNCTION_FAILED: not a lost session, so no retry
    await assert.rejects(signer.sign(randomBytes(10)), (e: unknown) =>
      e instanceof AppError && e.kind === 'HsmUnavailable' && /CKR_FUNCTION_FAILED/.test(e.message));
    shim.clear();
    const tbs = randomBytes(10);
    assert.ok(verifies(signer, tbs, await signer.sign(tbs)));
  });

  it('a thread that cannot start fails its signatures as HsmUnavailable, and is started afresh', async () => {
    const threads = new SignThreads('/nonexistent/libpkcs11.so', 1);
    try {
      for (let i = 0; i < 2; i++) {
        await assert.rejects(threads.sign(Buffer.alloc(8), { mechanism: 0x1041 }, Buffer.alloc(8), Buffer.alloc(32)),
          (e: unknown) => e instanceof AppError && e.kind === 'HsmUnavailable' && /signing thread stopped/.test(e.message));
      }
    } finally {
      await threads.close();
    }
  });
});
