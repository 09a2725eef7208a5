/**
 * Doing to a SoftHSM token, from inside the test process, what an HSM administrator or an
 * outage does to a real one: change the user PIN, drop every session (HSM restart, idle
 * timeout). Raw pkcs11js on the module the key store under test has already initialized
 * (sessions and login belong to the process), so no C_Initialize or C_Finalize here.
 */
import assert from 'node:assert/strict';
import * as pkcs11js from 'pkcs11js';
import type { SoftHsmToken } from './softhsm';

export class TokenControl {
  private readonly lib = new pkcs11js.PKCS11();
  private readonly slot: Buffer;

  constructor(token: SoftHsmToken) {
    this.lib.load(token.module);
    const slot = this.lib.C_GetSlotList(true).find((s) => this.lib.C_GetTokenInfo(s).label.trim() === token.label);
    assert.ok(slot, `slot of token ${token.label}`);
    this.slot = slot;
  }

  /** C_CloseAllSessions: every session of this process on the token goes, and so does the login. */
  dropSessions(): void {
    this.lib.C_CloseAllSessions(this.slot);
  }

  /** C_SetPIN as the user, logging in with `from` first unless the process already is. */
  setUserPin(from: string, to: string): void {
    const session = this.lib.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      try {
        this.lib.C_Login(session, pkcs11js.CKU_USER, from);
      } catch (e) {
        if ((e as { code?: number }).code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw e;
      }
      this.lib.C_SetPIN(session, from, to);
    } finally {
      this.lib.C_CloseSession(session);
    }
  }
}
