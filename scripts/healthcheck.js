#!/usr/bin/env node
// The container's HEALTHCHECK (Dockerfile): exit 0 when GET /readyz answers 200, 1 otherwise.
// Finds the daemon where it listens (HSMCA_LISTEN; a wildcard address is reached on loopback),
// over HTTPS when HSMCA_TLS_CERT_FILE says the daemon serves it. Plain Node, so the image needs
// no curl. (With tls.clientAuth require the handshake refuses this probe: use optional there.)
const http = require('node:http');
const https = require('node:https');

const listen = process.env.HSMCA_LISTEN || '127.0.0.1:8080';
const i = listen.lastIndexOf(':');
let host = listen.slice(0, i).replace(/^\[|\]$/g, '');
if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
if (host === '::') host = '::1';
const tls = Boolean(process.env.HSMCA_TLS_CERT_FILE);
const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${listen.slice(i + 1)}/readyz`;

const fail = (message) => {
  console.error(`readyz: ${message}`);
  process.exit(1);
};

// The probe asks the daemon on this host about itself: whose certificate it is is not in question.
const req = (tls ? https : http).get(url, { timeout: 4000, rejectUnauthorized: false }, (res) => {
  if (res.statusCode === 200) process.exit(0);
  let text = '';
  res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => {
    let message = '';
    try {
      message = JSON.parse(text).message || '';
    } catch {
      // not JSON: the status alone says enough
    }
    fail(`${res.statusCode} ${message}`);
  });
});
req.on('timeout', () => req.destroy(new Error('no answer within 4 s')));
req.on('error', (e) => fail(e.message));
