// What the bench's stand-alone PKCS#11 scripts (raw-sign.cjs, http-floor.cjs) share: a logged-in
// session on the bench token with its CA key found, and the per-signature work the contract adds.
'use strict';
const crypto = require('node:crypto');
const path = require('node:path');
const pkcs11js = require('pkcs11js');

/** Loads the module, logs in to the token labelled `label` and finds the private key `keyLabel`. */
function openTokenKey(modulePath, label, pin, keyLabel) {
  const lib = new pkcs11js.PKCS11();
  lib.load(modulePath);
  const slot = findSlot(lib, label);
  const open = () => lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  const anchor = open();
  login(lib, anchor, pin);
  lib.C_FindObjectsInit(anchor, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: keyLabel }]);
  const [key] = lib.C_FindObjects(anchor, 1);
  lib.C_FindObjectsFinal(anchor);
  return {
    lib, key, open,
    close() {
      lib.C_Logout(anchor);
      lib.C_Finalize();
    },
  };
}

// SoftHSM reads its token directory at C_Initialize, and a read while another process holds the
// token's files can miss the token (seen once in a bench run): start again, a few times.
function findSlot(lib, label) {
  for (let attempt = 0; attempt < 20; attempt++) {
    lib.C_Initialize({ flags: 2 }); // CKF_OS_LOCKING_OK
    const found = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === label);
    if (found) return found;
    lib.C_Finalize();
    pause(50);
  }
  throw new Error(`no token labelled ${label}`);
}

function login(lib, session, pin) {
  for (let attempt = 0; ; attempt++) {
    try {
      lib.C_Login(session, pkcs11js.CKU_USER, pin);
      return;
    } catch (e) {
      // Logins from several processes at once can get CKR_GENERAL_ERROR on SoftHSM.
      if (/ALREADY_LOGGED_IN/.test(e.message)) return;
      if (attempt > 20) throw e;
      pause(50);
    }
  }
}

const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * EC: CKM_ECDSA over a SHA-256 digest (hashed on the host, as the daemon does on SoftHSM);
 * RSA: CKM_SHA256_RSA_PKCS over a TBS-sized input.
 */
const signMechanism = (kind) => ({ mechanism: kind === 'EC' ? pkcs11js.CKM_ECDSA : pkcs11js.CKM_SHA256_RSA_PKCS });

/**
 * The per-signature work the contract adds, on a TBS-sized input (600 bytes): the host-side
 * SHA-256 for EC, the CSR's signature check, and the new signature's check against the CA's key.
 * `csr` (from csrParts) may differ per call; its public key is memoised by SPKI, as the daemon does.
 */
function requiredChecks(kind, caPem) {
  const tbs = Buffer.alloc(600, 7);
  const caKey = new crypto.X509Certificate(caPem).publicKey;
  const dsaEncoding = kind === 'EC' ? 'ieee-p1363' : undefined;
  const keys = new Map();
  return {
    input: () => (kind === 'EC' ? crypto.createHash('sha256').update(tbs).digest() : tbs),
    check(csr, signature) {
      const spki = csr.spki.toString('latin1');
      let csrKey = keys.get(spki);
      if (!csrKey) keys.set(spki, (csrKey = crypto.createPublicKey({ key: csr.spki, format: 'der', type: 'spki' })));
      if (!crypto.verify('sha256', csr.info, csrKey, csr.signature)) throw new Error('CSR signature did not verify');
      if (!crypto.verify('sha256', tbs, { key: caKey, dsaEncoding }, signature)) throw new Error('signature did not verify');
    },
  };
}

const pemToDer = (pem) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');

let derReader;

// CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
// CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes [0] }
// (RFC 2986), read with the daemon's own DER reader from the build the bench runs.
function csrParts(der) {
  // Loaded at the first call (not per call: the HTTP floor parses a CSR per request).
  derReader ??= require(path.join(__dirname, '../../dist/der.js'));
  const { parseDer, childrenOf, bitStringBytes } = derReader;
  const [info, , signature] = childrenOf(parseDer(der));
  const [, , spki] = childrenOf(info);
  return { info: info.raw, spki: spki.raw, signature: bitStringBytes(signature, 'signature') };
}

module.exports = { openTokenKey, signMechanism, requiredChecks, pemToDer, csrParts };
