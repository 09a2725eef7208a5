import type { Logger } from 'pino';
import type { Config } from './config/config';
import { loadSecrets } from './config/load';
import { openPkcs11KeyStore } from './keystore';
import type { KeyStore, KeyStoreEvents } from './keystore/keystore';
import { logLevelReloadable, Reloadables } from './lifecycle/reloadables';
import { ShutdownHooks } from './lifecycle/shutdown-hooks';
import { Metrics } from './metrics/metrics';
import { openSqliteStore, type Store } from './store';
import { createServiceDeps, type ServiceDeps } from './services/deps';

/** Everything a command needs, opened in dependency order and closed in reverse. */
export interface Runtime {
  /** The configuration in force; SIGHUP replaces it with the reloaded one. */
  config: Config;
  log: Logger;
  store: Store;
  keyStore?: KeyStore;
  services?: ServiceDeps;
  metrics: Metrics;
  /**
   * Run on SIGTERM after the last in-flight request and before the key store and the database
   * close (e.g. the final audit checkpoint): `rt.shutdownHooks.add(name, fn)`.
   */
  shutdownHooks: ShutdownHooks;
  /** Applied on SIGHUP (the log level; TLS certificates): `rt.reloadables.add({name, keys, reload})`. */
  reloadables: Reloadables;
  /** Reads the configuration afresh from where it came from (file + env), for SIGHUP. */
  loadConfig?: () => Config;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Open the key store too (commands that sign or generate). */
  hsm: boolean;
  loadConfig?: () => Config;
}

/** The configured token, logged in with the PIN from its file or the environment. */
export async function openConfiguredKeyStore(config: Config, events?: KeyStoreEvents): Promise<KeyStore> {
  const { pin } = loadSecrets(config);
  return openPkcs11KeyStore({
    module: config.pkcs11.module, tokenLabel: config.pkcs11.token, pin, sessions: config.pkcs11.sessions, events,
  });
}

/** Opens the store, and the key store too when `hsm` is true. */
export async function openRuntime(config: Config, log: Logger, opts: RuntimeOptions): Promise<Runtime> {
  const store = await openSqliteStore(config.database);
  const metrics = new Metrics();
  let keyStore: KeyStore | undefined;
  try {
    if (opts.hsm) {
      keyStore = await openConfiguredKeyStore(config, metrics.keyStoreEvents);
      metrics.watchSessions(keyStore);
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  const services = keyStore
    ? createServiceDeps({ store, keyStore, publicBaseUrl: config.publicBaseUrl })
    : undefined;
  const reloadables = new Reloadables();
  reloadables.add(logLevelReloadable(log));
  return {
    config, log, store, keyStore, services, metrics, reloadables, shutdownHooks: new ShutdownHooks(),
    loadConfig: opts.loadConfig,
    async close() {
      await keyStore?.close();
      await store.close();
    },
  };
}
