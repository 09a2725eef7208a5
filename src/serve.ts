import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openAuditSigner } from './audit/audit-key';
import { Checkpointer } from './audit/checkpoint';
import { createApp } from './http/app';
import { applyServerLimits, serverOptions } from './http/server-limits';
import { createServer } from './http/server';
import type { Runtime } from './runtime';
import { startCrlRefresher } from './services/crl';

/** `host:port` or `[v6]:port`. */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/**
 * Starts the HTTP(S) server and resolves with it and its URL once it listens. SIGTERM/SIGINT
 * stop accepting, let in-flight requests finish, sign a last audit checkpoint, then close the
 * key store (sessions, module) and the database.
 */
export async function serve(rt: Runtime): Promise<{ server: http.Server; url: string }> {
  if (!rt.services || !rt.auth || !rt.keyStore) throw new Error('serve needs the key store and the token pepper');
  const { limits } = rt.config;
  const app = createApp({
    services: rt.services, auth: rt.auth, log: rt.log, bodyLimit: limits.bodyBytes,
    rateLimit: { perSecond: limits.ratePerSecond, burst: limits.rateBurst },
  });
  const { server, scheme } = createServer(app.callback(), rt.config.tls, serverOptions(limits));
  applyServerLimits(server, limits, rt.log);
  const { host, port } = parseListen(rt.config.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  rt.log.info({ address: addr.address, port: addr.port, scheme }, 'listening');
  const stopCrls = startCrlRefresher(rt.services, (err, caId) => rt.log.warn({ err, caId }, 'CRL refresh failed'));

  const keyStore = rt.keyStore;
  const { checkpointIntervalSeconds, keyLabel } = rt.config.audit;
  let signer: ReturnType<typeof openAuditSigner> | undefined;
  const checkpointer = new Checkpointer(rt.store, () => (signer ??= openAuditSigner(keyStore, keyLabel).catch((e) => {
    signer = undefined; // try again at the next checkpoint
    throw e;
  })), rt.log, checkpointIntervalSeconds * 1000);
  checkpointer.start();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    rt.log.info({ signal }, 'shutting down');
    stopCrls();
    server.close(() => {
      checkpointer.stop().then(() => rt.close()).then(() => process.exit(0), () => process.exit(1));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const hostText = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return { server, url: `${scheme}://${hostText}:${addr.port}` };
}
