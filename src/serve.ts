import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './http/app';
import { applyServerLimits, serverOptions } from './http/server-limits';
import type { Runtime } from './runtime';
import { startCrlRefresher } from './services/crl';

/** `host:port` or `[v6]:port`. */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/**
 * Starts the HTTP server and resolves once it listens. SIGTERM/SIGINT stop accepting, let
 * in-flight requests finish, then close the key store (sessions, module) and the database.
 */
export async function serve(rt: Runtime): Promise<http.Server> {
  if (!rt.services) throw new Error('serve needs the key store');
  const { limits } = rt.config;
  const app = createApp({
    services: rt.services, log: rt.log, bodyLimit: limits.bodyBytes,
    rateLimit: { perSecond: limits.ratePerSecond, burst: limits.rateBurst },
  });
  const server = http.createServer(serverOptions(rt.config.limits), app.callback());
  applyServerLimits(server, rt.config.limits, rt.log);
  const { host, port } = parseListen(rt.config.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  rt.log.info({ address: addr.address, port: addr.port }, 'listening');
  const stopCrls = startCrlRefresher(rt.services, (err, caId) => rt.log.warn({ err, caId }, 'CRL refresh failed'));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    rt.log.info({ signal }, 'shutting down');
    stopCrls();
    server.close(() => {
      rt.close().then(() => process.exit(0), () => process.exit(1));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return server;
}
