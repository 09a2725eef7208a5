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
const fs = require('node:fs');
const { openTokenKey, signMechanism, requiredChecks, pemToDer, csrParts } = require('./token-key.cjs');

const [modulePath, label, pin, keyLabel, kind, sessions, seconds, caFile, csrFile] = process.argv.slice(2);
const { lib, key, open, close } = openTokenKey(modulePath, label, pin, keyLabel);
const mechanism = signMechanism(kind);
const data = Buffer.alloc(kind === 'EC' ? 32 : 600, 7);
const required = caFile ? requiredChecks(kind, fs.readFileSync(caFile, 'utf8')) : undefined;
const csr = csrFile ? csrParts(pemToDer(fs.readFileSync(csrFile, 'utf8'))) : undefined;
const end = Date.now() + Number(seconds) * 1000;
let count = 0;
const sessionList = Array.from({ length: Number(sessions) }, () => open());
const out = Buffer.alloc(1024);
while (Date.now() < end) {
  for (const session of sessionList) {
    const input = required ? required.input() : data;
    lib.C_SignInit(session, mechanism, key);
    const signature = lib.C_Sign(session, input, out);
    if (required) required.check(csr, signature);
    count++;
  }
}
process.stdout.write(`${JSON.stringify({ count })}\n`);
close();
