// The token's raw C_Sign rate, the way the daemon's signing thread signs: one process taking
// its `sessions` sessions in turn, C_SignInit + C_Sign back to back on one thread for `seconds`
// (no hand-off between threads; the daemon's one is per batch, this has none).
// Usage: node raw-sign.cjs <module> <token label> <pin> <key label> <EC|RSA> <sessions> <seconds>
//   [<CA certificate PEM file> <CSR PEM file>]
// Prints the number of signatures made as JSON.
//
// With the two files it measures the least a sign-intermediate request must do: besides each
// signature, the contract's two signature checks with node:crypto (the CSR's, and the new
// signature against the CA's public key), and for EC the host-side SHA-256 of a TBS-sized input.
// Nothing else of a request (HTTP, JSON, DER, database, audit) is counted: its rate is a
// ceiling for the daemon's.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const pkcs11js = require('pkcs11js');
const [modulePath, label, pin, keyLabel, kind, sessions, seconds, caFile, csrFile] = process.argv.slice(2);
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
const required = caFile ? requiredChecks(fs.readFileSync(caFile, 'utf8'), fs.readFileSync(csrFile, 'utf8')) : undefined;
const end = Date.now() + Number(seconds) * 1000;
let count = 0;
const sessionList = Array.from({ length: Number(sessions) }, () => open());
const out = Buffer.alloc(1024);
while (Date.now() < end) {
  for (const session of sessionList) {
    const input = required ? required.input() : data;
    lib.C_SignInit(session, mechanism, key);
    const signature = lib.C_Sign(session, input, out);
    if (required) required.check(signature);
    count++;
  }
}
process.stdout.write(`${JSON.stringify({ count })}\n`);
lib.C_Logout(anchor);
lib.C_Finalize();

/** The per-signature work the contract adds, on a TBS-sized input (600 bytes). */
function requiredChecks(caPem, csrPem) {
  const tbs = Buffer.alloc(600, 7);
  const caKey = new crypto.X509Certificate(caPem).publicKey;
  const csr = csrParts(csrPem);
  const csrKey = crypto.createPublicKey({ key: csr.spki, format: 'der', type: 'spki' });
  return {
    input: () => (kind === 'EC' ? crypto.createHash('sha256').update(tbs).digest() : tbs),
    check(signature) {
      if (!crypto.verify('sha256', csr.info, csrKey, csr.signature)) throw new Error('CSR signature did not verify');
      const dsaEncoding = kind === 'EC' ? 'ieee-p1363' : undefined;
      if (!crypto.verify('sha256', tbs, { key: caKey, dsaEncoding }, signature)) throw new Error('signature did not verify');
    },
  };
}

// CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
// CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes [0] }
// (RFC 2986), read with the daemon's own DER reader from the build the bench runs.
function csrParts(pem) {
  const { parseDer, childrenOf, bitStringBytes } = require(path.join(__dirname, '../../dist/der.js'));
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const [info, , signature] = childrenOf(parseDer(der));
  const [, , spki] = childrenOf(info);
  return { info: info.raw, spki: spki.raw, signature: bitStringBytes(signature, 'signature') };
}
