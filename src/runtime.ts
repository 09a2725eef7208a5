import type { Logger } from 'pino';
import type { Config } from './config/config';
import { loadPepper, loadSecrets } from './config/load';
import { createAuthDeps, type AuthDeps } from './auth/auth-deps';
import { openPkcs11KeyStore } from './keystore';
import type { KeyStore } from './keystore/keystore';
import { openStore, type Store } from './store';
import { createServiceDeps, type ServiceDeps } from './services/deps';

/** Everything a command needs, opened in dependency order and closed in reverse. */
export interface Runtime {
  config: Config;
  log: Logger;
  store: Store;
  keyStore?: KeyStore;
  services?: ServiceDeps;
  /** Present when opened with `auth`: tokens and identities (needs the pepper, not the HSM). */
  auth?: AuthDeps;
  close(): Promise<void>;
}

/**
 * Opens the store, the key store too when `hsm` is true (commands that sign or generate), and
 * token authentication when `auth` is true (reads the pepper). Secrets are checked before
 * anything is opened, so a missing one costs no HSM login. With `serving`, a token that cannot
 * be opened does not stop the daemon: it serves 503s, says why on /readyz and in the log, and
 * keeps trying (except after a refused PIN).
 */
export async function openRuntime(
  config: Config, log: Logger, opts: { hsm: boolean; auth?: boolean; serving?: boolean },
): Promise<Runtime> {
  const pepper = opts.auth ? loadPepper(config).pepper : undefined;
  const store = await openStore(config.database, (msg) => log.warn(msg));
  let keyStore: KeyStore | undefined;
  try {
    if (opts.hsm) {
      const { pin } = loadSecrets(config);
      keyStore = await openPkcs11KeyStore({
        module: config.pkcs11.module, tokenLabel: config.pkcs11.token, pin, sessions: config.pkcs11.sessions,
        signTimeoutMs: config.pkcs11.signTimeoutMs, lenient: opts.serving,
        onStatus: (s) => (s.ready
          ? log.info({ token: config.pkcs11.token }, 'HSM token usable')
          : log.error({ token: config.pkcs11.token, reason: s.reason, retrying: s.retrying },
            s.retrying ? 'HSM token unusable; retrying' : 'HSM token unusable; not retrying: fix it and restart')),
      });
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  const services = keyStore
    ? createServiceDeps({ store, keyStore, publicBaseUrl: config.publicBaseUrl, crlLifetimeMs: config.crl.validityHours * 3600_000 })
    : undefined;
  const auth = pepper === undefined ? undefined : createAuthDeps(store, pepper);
  return {
    config, log, store, keyStore, services, auth,
    async close() {
      await keyStore?.close();
      await store.close();
    },
  };
}
