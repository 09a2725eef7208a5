import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../../src/errors';
import { openPkcs11KeyStore } from '../../../src/keystore';
import { createShim } from '../../helpers/pkcs11-shim';
import { createSoftHsmToken } from '../../helpers/softhsm';

const PIN_INCORRECT = 0xa0;

function assertHsmUnavailable(err: unknown, reason: RegExp): true {
  assert.ok(err instanceof AppError, String(err));
  assert.equal(err.kind, 'HsmUnavailable');
  assert.equal(err.status, 503);
  assert.match(err.message, reason);
  return true;
}

describe('keystore/pkcs11 opening and login', function () {
  this.timeout(60_000);
  const token = createSoftHsmToken();
  const shared = createSoftHsmToken();

  it('fails a wrong PIN at once with HsmUnavailable, and the token still takes the right one', async () => {
    // Through the fault shim, which logs every C_Login and its result.
    const shim = createShim('login');
    const saved = Object.fromEntries(Object.keys(shim.env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, shim.env);
    try {
      for (let i = 0; i < 3; i++) {
        const err = await openPkcs11KeyStore({ module: shim.module, tokenLabel: token.label, pin: 'wrong' }).then(
          () => assert.fail('opened with a wrong PIN'),
          (e: unknown) => e,
        );
        assertHsmUnavailable(err, /PIN incorrect/);
        assert.equal(((err as AppError).cause as { code?: number }).code, PIN_INCORRECT);
        assert.doesNotMatch((err as AppError).message, /wrong/, 'the PIN itself is never in the message');
      }
      // One C_Login per open, never a second: the back-off is only for CKR_GENERAL_ERROR.
      assert.deepEqual(shim.logins(), ['0xa0', '0xa0', '0xa0']);
      const ks = await openPkcs11KeyStore({ module: shim.module, tokenLabel: token.label, pin: token.pin });
      await ks.health();
      await ks.close();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('checks the PIN even when this process is already logged in to the token', async () => {
    // The token answers a second C_Login with CKR_USER_ALREADY_LOGGED_IN without checking it.
    const first = await openPkcs11KeyStore({ module: shared.module, tokenLabel: shared.label, pin: shared.pin });
    try {
      await assert.rejects(
        openPkcs11KeyStore({ module: shared.module, tokenLabel: shared.label, pin: 'wrong' }),
        (e) => assertHsmUnavailable(e, /PIN incorrect/),
      );
      const second = await openPkcs11KeyStore({ module: shared.module, tokenLabel: shared.label, pin: shared.pin });
      const key = await second.generateKeyInToken('EC_prime256v1', 'shared');
      await second.close();
      // Closing the second key store neither logged out nor finalized the first one's module.
      const signer = await first.openSigner(key.uri);
      assert.ok((await signer.sign(randomBytes(32))).length > 0);
    } finally {
      await first.close();
    }
  });

  it('reports an unknown token label and an unloadable module as HsmUnavailable', async () => {
    await assert.rejects(
      openPkcs11KeyStore({ module: token.module, tokenLabel: 'no-such-token', pin: token.pin }),
      (e) => assertHsmUnavailable(e, /no PKCS#11 token labelled "no-such-token"/),
    );
    await assert.rejects(
      openPkcs11KeyStore({ module: '/nonexistent/libpkcs11.so', tokenLabel: token.label, pin: token.pin }),
      (e) => assertHsmUnavailable(e, /cannot load PKCS#11 module/),
    );
  });

  it('close() is safe twice and later calls fail with HsmUnavailable', async () => {
    const ks = await openPkcs11KeyStore({ module: token.module, tokenLabel: token.label, pin: token.pin, sessions: 2 });
    const key = await ks.generateKeyInToken('ED25519', 'closing');
    const signer = await ks.openSigner(key.uri);
    await Promise.all([ks.close(), ks.close()]);
    await ks.close();
    await assert.rejects(signer.sign(Buffer.from('x')), (e) => assertHsmUnavailable(e, /closed/));
    await assert.rejects(ks.health(), (e) => assertHsmUnavailable(e, /closed/));
  });

  it('close() waits for signatures in flight', async () => {
    const ks = await openPkcs11KeyStore({ module: token.module, tokenLabel: token.label, pin: token.pin, sessions: 2 });
    const signer = await ks.openSigner((await ks.generateKeyInToken('RSA_2048', 'in-flight')).uri);
    // Both sessions open and idle, so two of the eight lease one at once.
    await Promise.all([signer.sign(randomBytes(10)), signer.sign(randomBytes(10))]);
    const signing = Array.from({ length: 8 }, () => signer.sign(randomBytes(100)));
    const closing = ks.close();
    const results = await Promise.allSettled(signing);
    await closing;
    // Leased ones finish; queued ones are refused rather than run on a finalized module.
    const fulfilled = results.filter((r) => r.status === 'fulfilled').length;
    assert.equal(fulfilled, 2);
    for (const r of results) if (r.status === 'rejected') assertHsmUnavailable(r.reason, /closed/);
  });
});
