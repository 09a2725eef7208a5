import type { Logger } from 'pino';
import type { Config } from './config/config';
import { loadPepper, loadSecrets } from './config/load';
import { createAuthDeps, type AuthDeps } from './auth/auth-deps';
import { openPkcs11KeyStore } from './keystore';
import type { KeyStore, KeyStoreEvents } from './keystore/keystore';
import { logLevelReloadable, Reloadables } from './lifecycle/reloadables';
import { ShutdownHooks } from './lifecycle/shutdown-hooks';
import { Metrics } from './metrics/metrics';
import { openStore, type Store } from './store';
import { createServiceDeps, type ServiceDeps } from './services/deps';

/** Everything a command needs, opened in dependency order and closed in reverse. */
export interface Runtime {
  /** The configuration in force; SIGHUP replaces it with the reloaded one. */
  config: Config;
  log: Logger;
  store: Store;
  keyStore?: KeyStore;
  services?: ServiceDeps;
  /** Present when opened with `auth`: tokens and identities (needs the pepper, not the HSM). */
  auth?: AuthDeps;
  /** This process's metrics; the key store reports its signatures and errors to them. */
  metrics: Metrics;
  /**
   * Run on SIGTERM after the last in-flight request and before the key store and the database
   * close (e.g. the final audit checkpoint): `rt.shutdownHooks.add(name, fn)`.
   */
  shutdownHooks: ShutdownHooks;
  /** Applied on SIGHUP (the log level; the TLS certificate): `rt.reloadables.add({name, keys, reload})`. */
  reloadables: Reloadables;
  /** Reads the configuration afresh from where it came from (file + env), for SIGHUP. */
  loadConfig?: () => Config;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Open the key store too (commands that sign or generate). */
  hsm: boolean;
  /** Token authentication and identities (reads the pepper). */
  auth?: boolean;
  /**
   * The daemon: a token that cannot be opened does not stop it: it serves 503s, says why on
   * /readyz and in the log, and keeps trying (except after a refused PIN).
   */
  serving?: boolean;
  loadConfig?: () => Config;
}

/** The configured token, logged in with the PIN from its file or the environment. */
export function openConfiguredKeyStore(
  config: Config, log?: Logger, opts: { lenient?: boolean; events?: KeyStoreEvents } = {},
): Promise<KeyStore> {
  const { pin } = loadSecrets(config);
  return openPkcs11KeyStore({
    module: config.pkcs11.module, tokenLabel: config.pkcs11.token, pin, sessions: config.pkcs11.sessions,
    signTimeoutMs: config.pkcs11.signTimeoutMs, signThreads: config.pkcs11.signThreads,
    lenient: opts.lenient, events: opts.events,
    onStatus: log && ((s) => (s.ready
      ? log.info({ token: config.pkcs11.token }, 'HSM token usable')
      : log.error({ token: config.pkcs11.token, reason: s.reason, retrying: s.retrying },
        s.retrying ? 'HSM token unusable; retrying' : 'HSM token unusable; not retrying: fix it and restart'))),
  });
}

/**
 * Opens the store, the key store too when `hsm` is true, and token authentication when `auth`
 * is true. Secrets are checked before anything is opened, so a missing one costs no HSM login.
 */
export async function openRuntime(config: Config, log: Logger, opts: RuntimeOptions): Promise<Runtime> {
  const pepper = opts.auth ? loadPepper(config).pepper : undefined;
  const store = await openStore(config.database, (msg) => log.warn(msg));
  const metrics = new Metrics();
  let keyStore: KeyStore | undefined;
  try {
    if (opts.hsm) {
      keyStore = await openConfiguredKeyStore(config, log, { lenient: opts.serving, events: metrics.keyStoreEvents });
      metrics.watchSessions(keyStore);
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  const services = keyStore
    ? createServiceDeps({ store, keyStore, publicBaseUrl: config.publicBaseUrl, crlLifetimeMs: config.crl.validityHours * 3600_000 })
    : undefined;
  const auth = pepper === undefined ? undefined : createAuthDeps(store, pepper);
  const reloadables = new Reloadables();
  reloadables.add(logLevelReloadable(log));
  return {
    config, log, store, keyStore, services, auth, metrics, reloadables, shutdownHooks: new ShutdownHooks(),
    loadConfig: opts.loadConfig,
    async close() {
      await keyStore?.close();
      await store.close();
    },
  };
}
