// The token's raw C_Sign rate, the way the daemon's signing thread signs: one process taking
// its `sessions` sessions in turn, C_SignInit + C_Sign back to back on one thread for `seconds`
// (no hand-off between threads; the daemon's one is per batch, this has none).
// Usage: node raw-sign.cjs <module> <token label> <pin> <key label> <EC|RSA> <sessions> <seconds>
// Prints the number of signatures made as JSON.
'use strict';
const pkcs11js = require('pkcs11js');
const [modulePath, label, pin, keyLabel, kind, sessions, seconds] = process.argv.slice(2);
const lib = new pkcs11js.PKCS11();
lib.load(modulePath);
// SoftHSM reads its token directory at C_Initialize, and a read while another process holds the
// token's files can miss the token (seen once in a bench run): start again, a few times.
const findSlot = () => {
  for (let attempt = 0; attempt < 20; attempt++) {
    lib.C_Initialize({ flags: 2 }); // CKF_OS_LOCKING_OK
    const found = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === label);
    if (found) return found;
    lib.C_Finalize();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  throw new Error(`no token labelled ${label}`);
};
const slot = findSlot();
const open = () => lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
const anchor = open();
for (let attempt = 0; ; attempt++) {
  try {
    lib.C_Login(anchor, pkcs11js.CKU_USER, pin);
    break;
  } catch (e) {
    // Logins from several processes at once can get CKR_GENERAL_ERROR on SoftHSM.
    if (/ALREADY_LOGGED_IN/.test(e.message)) break;
    if (attempt > 20) throw e;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}
lib.C_FindObjectsInit(anchor, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: keyLabel }]);
const [key] = lib.C_FindObjects(anchor, 1);
lib.C_FindObjectsFinal(anchor);
// EC: CKM_ECDSA over a SHA-256 digest (hashed on the host, as the daemon does on SoftHSM);
// RSA: CKM_SHA256_RSA_PKCS over a TBS-sized input.
const mechanism = { mechanism: kind === 'EC' ? pkcs11js.CKM_ECDSA : pkcs11js.CKM_SHA256_RSA_PKCS };
const data = Buffer.alloc(kind === 'EC' ? 32 : 600, 7);
const end = Date.now() + Number(seconds) * 1000;
let count = 0;
const sessionList = Array.from({ length: Number(sessions) }, () => open());
const out = Buffer.alloc(1024);
while (Date.now() < end) {
  for (const session of sessionList) {
    lib.C_SignInit(session, mechanism, key);
    lib.C_Sign(session, data, out);
    count++;
  }
}
process.stdout.write(`${JSON.stringify({ count })}\n`);
lib.C_Logout(anchor);
lib.C_Finalize();
