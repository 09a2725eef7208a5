import type { Store } from '../store';
import { SecretHasher } from './secret';

/** What authentication and identity administration need: no HSM. */
export interface AuthDeps {
  readonly store: Store;
  readonly hasher: SecretHasher;
  readonly now: () => Date;
}

/** `pepper` comes from a file or the environment, never from the config file or a default. */
export const createAuthDeps = (store: Store, pepper: string, now = (): Date => new Date()): AuthDeps =>
  ({ store, hasher: new SecretHasher(pepper), now });
