import type { KeyStore } from '../keystore/keystore';
import type { Store } from '../store';
import { IssuerCache } from './issuer-cache';

/** What every service function needs; built once by the composition root. */
export interface ServiceDeps {
  readonly store: Store;
  readonly keyStore: KeyStore;
  readonly issuers: IssuerCache;
  /** When set, issued certificates carry caIssuers / CRL distribution point URLs under it. */
  readonly publicBaseUrl?: string;
  /** How long a CRL is valid (nextUpdate − thisUpdate). */
  readonly crlLifetimeMs: number;
  readonly now: () => Date;
}

export function createServiceDeps(opts: {
  store: Store;
  keyStore: KeyStore;
  publicBaseUrl?: string;
  crlLifetimeMs?: number;
  now?: () => Date;
}): ServiceDeps {
  return {
    store: opts.store,
    keyStore: opts.keyStore,
    issuers: new IssuerCache(opts.store, opts.keyStore),
    publicBaseUrl: opts.publicBaseUrl?.replace(/\/+$/, ''),
    crlLifetimeMs: opts.crlLifetimeMs ?? 24 * 3600_000,
    now: opts.now ?? (() => new Date()),
  };
}
