/**
 * An HSM that drops every session behind the daemon's back (restart, idle timeout) must cost
 * one retried operation, not the process. The drop is simulated with C_CloseAllSessions from a
 * second handle on the same module in this process, which closes the key store's sessions too
 * (sessions belong to the application) and thereby logs it out. That needs raw pkcs11js here,
 * the one place outside src/keystore that touches PKCS#11.
 */
import assert from 'node:assert/strict';
import { randomBytes, verify } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';
import { openPkcs11KeyStore, type KeyStore } from '../../../src/keystore';
import { createSoftHsmToken } from '../../helpers/softhsm';

function closeAllSessions(modulePath: string, label: string): void {
  const lib = new pkcs11js.PKCS11();
  lib.load(modulePath);
  // Already initialized by the key store in this process: C_Initialize would fail, and
  // C_Finalize would pull the module from under it, so neither is called.
  const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === label);
  assert.ok(slot, 'token slot');
  lib.C_CloseAllSessions(slot);
}

describe('keystore/pkcs11 recovery from dropped sessions', function () {
  this.timeout(60_000);
  const token = createSoftHsmToken();
  let ks: KeyStore;

  before(async () => {
    ks = await openPkcs11KeyStore({ module: token.module, tokenLabel: token.label, pin: token.pin, sessions: 3 });
  });
  after(async () => {
    await ks?.close();
  });

  it('re-opens, logs in again and retries once when the token dropped every session', async () => {
    const key = await ks.generateKeyInToken('EC_prime256v1', 'recover');
    const signer = await ks.openSigner(key.uri);
    // Warm the pool so idle sessions exist to go stale.
    await Promise.all(Array.from({ length: 6 }, () => signer.sign(randomBytes(10))));

    closeAllSessions(token.module, token.label);

    const results = await Promise.all(Array.from({ length: 20 }, async () => {
      const tbs = randomBytes(200);
      return { tbs, sig: await signer.sign(tbs) };
    }));
    for (const { tbs, sig } of results) {
      assert.ok(verify('sha256', tbs, { key: signer.spki, format: 'der', type: 'spki', dsaEncoding: 'der' }, sig));
    }
    await ks.health();
    assert.ok((await ks.openSigner(key.uri)).spki.equals(key.spki));
  });

  it('recovers key lookups on the login session as well', async () => {
    const key = await ks.generateKeyInToken('ED25519', 'recover-lookup');
    closeAllSessions(token.module, token.label);
    const signer = await ks.openSigner(key.uri);
    assert.ok((await signer.sign(Buffer.from('after'))).length === 64);
  });
});
