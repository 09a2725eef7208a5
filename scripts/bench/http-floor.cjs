// The least any Node.js HTTP server can do per sign-intermediate request on this machine: a bare
// node:http server on `workers` cluster processes, keep-alive, that per request reads the JSON
// body, decodes the CSR, signs a TBS-sized input with the CA key in the token (C_SignInit +
// C_Sign, synchronously: no hand-off to a thread) and makes the contract's two signature checks
// (token-key.cjs), then answers with a JSON body the size of the daemon's. No certificate is
// built and nothing is stored, audited, authenticated or logged: its rate, measured with the
// same client as the daemon's, is a ceiling for any implementation on Node's HTTP server.
// Usage: node http-floor.cjs <module> <token label> <pin> <key label> <EC|RSA> <CA PEM file> <workers>
// Prints {"listening": URL} once every worker listens; stops on SIGTERM.
'use strict';
const cluster = require('node:cluster');
const fs = require('node:fs');
const http = require('node:http');
const { openTokenKey, signMechanism, requiredChecks, pemToDer, csrParts } = require('./token-key.cjs');

const [modulePath, label, pin, keyLabel, kind, caFile, workers] = process.argv.slice(2);

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    if (++listening === Number(workers)) process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${address.port}` })}\n`);
  });
  cluster.on('exit', (_w, code) => {
    if (code !== 0) process.exit(1);
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    process.exit(0);
  });
  for (let i = 0; i < Number(workers); i++) cluster.fork();
} else {
  serve();
}

function serve() {
  const caPem = fs.readFileSync(caFile, 'utf8');
  const { lib, key, open } = openTokenKey(modulePath, label, pin, keyLabel);
  const session = open();
  const mechanism = signMechanism(kind);
  const required = requiredChecks(kind, caPem);
  const out = Buffer.alloc(1024);
  // The daemon answers with the new certificate, its issuer and the chain: about three PEMs.
  const answer = (serialNumber) => JSON.stringify({ certificate: caPem, issuingCaCertificate: caPem, certificateChain: caPem + caPem, serialNumber });
  http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body;
      try {
        const csr = csrParts(pemToDer(JSON.parse(Buffer.concat(chunks).toString()).csr));
        lib.C_SignInit(session, mechanism, key);
        const signature = lib.C_Sign(session, required.input(), out);
        required.check(csr, signature);
        body = answer(signature.subarray(0, 16).toString('hex'));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      } catch (e) {
        body = JSON.stringify({ message: String(e) });
        res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      }
      res.end(body);
    });
  }).listen(0, '127.0.0.1');
  process.on('SIGTERM', () => process.exit(0));
}
