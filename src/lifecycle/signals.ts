/**
 * What the daemon does on signals. SIGTERM/SIGINT: stop accepting, let in-flight requests
 * finish (within `shutdownGraceMs`), run the shutdown hooks, close the key store (sessions,
 * module) and the database, exit 0. SIGHUP: re-read the configuration and apply what can be
 * applied in place; a configuration that does not validate changes nothing.
 */
import type http from 'node:http';
import { ConfigError } from '../config/load';
import type { Runtime } from '../runtime';
import type { Readiness } from '../services/readiness';

/** Beyond the grace period, closing sessions and the database gets this long before a hard exit. */
const CLOSE_BOUND_MS = 10_000;

/** Stops accepting and resolves true when every connection ended within `graceMs`, false if cut. */
export function drain(server: http.Server, graceMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve(false);
    }, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve(true);
    });
    server.closeIdleConnections();
  });
}

export async function shutdown(rt: Runtime, server: http.Server, readiness: Readiness, signal: string): Promise<number> {
  const { log } = rt;
  log.info({ signal, graceMs: rt.config.shutdownGraceMs }, 'shutting down: no new connections');
  readiness.markStopping();
  const drained = await drain(server, rt.config.shutdownGraceMs);
  if (!drained) log.error({ graceMs: rt.config.shutdownGraceMs }, 'in-flight requests outlived the grace period; connections cut');
  const hooksOk = await rt.shutdownHooks.runAll(log);
  await rt.close();
  const code = drained && hooksOk ? 0 : 1;
  log.info({ code }, 'stopped');
  return code;
}

export async function reload(rt: Runtime): Promise<void> {
  const { log } = rt;
  if (!rt.loadConfig) return;
  let next;
  try {
    next = rt.loadConfig();
  } catch (e) {
    log.error({ problems: e instanceof ConfigError ? e.problems : [String(e)] }, 'SIGHUP: configuration invalid; nothing changed');
    return;
  }
  const report = await rt.reloadables.reloadAll(rt.config, next, log);
  rt.config = next;
  if (report.needRestart.length) log.warn({ settings: report.needRestart }, 'SIGHUP: these settings apply only after a restart');
  log.info(report, 'SIGHUP: configuration reloaded');
}

/** Installs the handlers; the process exits when shutdown completes (or after a hard bound). */
export function handleSignals(rt: Runtime, server: http.Server, readiness: Readiness): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), rt.config.shutdownGraceMs + CLOSE_BOUND_MS).unref();
    shutdown(rt, server, readiness, signal).then(
      (code) => rt.log.flush(() => process.exit(code)),
      (err) => {
        rt.log.fatal({ err }, 'shutdown failed');
        rt.log.flush(() => process.exit(1));
      },
    );
  };
  // `on`, not `once`: a second SIGTERM (the primary forwards one; systemd may also signal the
  // whole group) must not fall back to the default action and kill a draining worker.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (!stopping) void reload(rt).catch((err) => rt.log.error({ err }, 'SIGHUP: reload failed'));
  });
}
