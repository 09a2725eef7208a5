#!/usr/bin/env node
// The container's HEALTHCHECK (Dockerfile): exit 0 when GET /readyz answers 200, 1 otherwise.
// Finds the daemon where it listens (HSMCA_LISTEN; a wildcard address is reached on loopback).
// Plain Node with the built-in fetch, so the image needs no curl.
const listen = process.env.HSMCA_LISTEN || '127.0.0.1:8080';
const i = listen.lastIndexOf(':');
let host = listen.slice(0, i).replace(/^\[|\]$/g, '');
if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
if (host === '::') host = '::1';
const url = `http://${host.includes(':') ? `[${host}]` : host}:${listen.slice(i + 1)}/readyz`;

fetch(url, { signal: AbortSignal.timeout(4000) })
  .then(async (res) => {
    if (res.status === 200) process.exit(0);
    const body = await res.json().catch(() => ({}));
    console.error(`readyz: ${res.status} ${body.message || ''}`);
    process.exit(1);
  })
  .catch((e) => {
    console.error(`readyz: ${e.message}`);
    process.exit(1);
  });
