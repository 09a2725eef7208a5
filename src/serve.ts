import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { openAuditSigner } from './audit/audit-key';
import { Checkpointer } from './audit/checkpoint';
import { createListener } from './http/app';
import { applyServerLimits, serverOptions } from './http/server-limits';
import { createServer, tlsReloadable } from './http/server';
import { handleSignals } from './lifecycle/signals';
import type { Runtime } from './runtime';
import { startCrlRefresher } from './services/crl';
import { Readiness } from './services/readiness';

/** `host:port` or `[v6]:port`. */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/**
 * Starts the HTTP(S) server and resolves with it and its URL once it listens. Signals are
 * handled as `lifecycle/signals.ts` says: SIGTERM/SIGINT drain in-flight requests, run the
 * shutdown hooks (here: stop refreshing CRLs, sign a last audit checkpoint), close the key store
 * and the database, exit 0; SIGHUP reloads the log level and the TLS certificate.
 */
export async function serve(rt: Runtime): Promise<{ server: http.Server; url: string }> {
  if (!rt.services || !rt.auth || !rt.keyStore) throw new Error('serve needs the key store and the token pepper');
  const { limits } = rt.config;
  const readiness = new Readiness({ services: rt.services, log: rt.log });
  const listener = createListener({
    services: rt.services, auth: rt.auth, log: rt.log, bodyLimit: limits.bodyBytes,
    rateLimit: { perSecond: limits.ratePerSecond, burst: limits.rateBurst }, metrics: rt.metrics, readiness,
  });
  const { server, scheme } = createServer(listener, rt.config.tls, serverOptions(limits));
  applyServerLimits(server, limits, rt.log);
  if (rt.config.tls) rt.reloadables.add(tlsReloadable(server as https.Server, rt.config.tls));
  const { host, port } = parseListen(rt.config.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  rt.log.info({ address: addr.address, port: addr.port, scheme }, 'listening');
  const stopCrls = startCrlRefresher(rt.services, (err, caId) => rt.log.warn({ err, caId }, 'CRL refresh failed'));
  rt.shutdownHooks.add('CRL refresher', async () => stopCrls());
  startCheckpointer(rt);
  handleSignals(rt, server, readiness);
  const hostText = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return { server, url: `${scheme}://${hostText}:${addr.port}` };
}

/** Audit checkpoints every `audit.checkpointIntervalSeconds`, and a final one at shutdown. */
function startCheckpointer(rt: Runtime): void {
  const keyStore = rt.keyStore!;
  const { checkpointIntervalSeconds, keyLabel } = rt.config.audit;
  let signer: ReturnType<typeof openAuditSigner> | undefined;
  const checkpointer = new Checkpointer(rt.store, () => (signer ??= openAuditSigner(keyStore, keyLabel).catch((e) => {
    signer = undefined; // try again at the next checkpoint
    throw e;
  })), rt.log, checkpointIntervalSeconds * 1000);
  checkpointer.start();
  // After the last request was answered, before the key store closes: it covers every event.
  rt.shutdownHooks.add('final audit checkpoint', () => checkpointer.stop());
}
