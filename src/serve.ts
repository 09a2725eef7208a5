import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './http/app';
import { handleSignals } from './lifecycle/signals';
import type { Runtime } from './runtime';
import { Readiness } from './services/readiness';

/** `host:port` or `[v6]:port`. */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/**
 * Starts the HTTP server and resolves once it listens. Signals are handled as
 * `lifecycle/signals.ts` says: SIGTERM drains and exits 0, SIGHUP reloads.
 */
export async function serve(rt: Runtime): Promise<http.Server> {
  if (!rt.services) throw new Error('serve needs the key store');
  const readiness = new Readiness({ store: rt.store, keyStore: rt.services.keyStore, log: rt.log });
  const app = createApp({
    services: rt.services, log: rt.log, bodyLimit: rt.config.limits.bodyBytes, metrics: rt.metrics, readiness,
  });
  const server = http.createServer(app.callback());
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  const { host, port } = parseListen(rt.config.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  rt.log.info({ address: addr.address, port: addr.port }, 'listening');
  handleSignals(rt, server, readiness);
  return server;
}
