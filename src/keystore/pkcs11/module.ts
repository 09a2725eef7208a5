/**
 * Loading the PKCS#11 module and keeping count of logins. C_Initialize, C_Finalize and the
 * login are per process, not per key store, so they are reference-counted here: a second key
 * store on the same module must not finalize it under the first, nor log the first out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as graphene from 'graphene-pk11';
import { hsmUnavailable } from '../../errors';
import { CKR, ckrCode, toAppError } from './errors';

/** Without it SoftHSM does no locking and concurrent signs on several sessions crash. */
export const CKF_OS_LOCKING_OK = 0x02;

/** Several processes logging in at once can get CKR_GENERAL_ERROR on SoftHSM (hsm.md). */
const LOGIN_BACKOFF_MS = [50, 200, 500];

/**
 * Where the process's first C_Initialize of a module stands. A key store makes it on its control
 * thread (token.ts); `pending` is one made that has not answered yet, which must not be made
 * again meanwhile (two at once on one library is undefined behaviour).
 */
export type Initialization = 'no' | 'pending' | 'done';

interface LoadedModule {
  module: graphene.Module;
  users: number;
  initialization: Initialization;
  /** Logged-in tokens by slot, with how many key stores share the login and its PIN digest. */
  logins: Map<string, { users: number; pinDigest: Buffer }>;
}

const loaded = new Map<string, LoadedModule>();
const pinSalt = randomBytes(16);

const digest = (pin: string): Buffer => createHash('sha256').update(pinSalt).update(pin).digest();
const slotKey = (slot: Buffer): string => slot.toString('hex');

/**
 * Loads the module, or shares the instance already loaded in this process. With `initialize`
 * (the CLI's slot inventory) C_Initialize is made here, on the calling thread, if it has not been
 * yet; a key store passes false and has its control thread make it (`setInitialization`).
 */
export function acquireModule(path: string, { initialize = true } = {}): graphene.Module {
  let entry = loaded.get(path);
  if (entry) {
    entry.users++;
  } else {
    try {
      entry = { module: graphene.Module.load(path), users: 1, initialization: 'no', logins: new Map() };
    } catch (err) {
      throw hsmUnavailable(err, `cannot load PKCS#11 module ${path}`);
    }
    loaded.set(path, entry);
  }
  if (initialize && entry.initialization === 'no') {
    try {
      entry.module.initialize({ flags: CKF_OS_LOCKING_OK });
    } catch (err) {
      releaseModule(path);
      throw hsmUnavailable(err, `cannot initialise PKCS#11 module ${path}`);
    }
    entry.initialization = 'done';
  }
  return entry.module;
}

export function initialization(path: string): Initialization {
  return loaded.get(path)?.initialization ?? 'no';
}

export function setInitialization(path: string, state: Initialization): void {
  const entry = loaded.get(path);
  if (entry) entry.initialization = state;
}

/**
 * Finalizes and unloads the module once its last user is gone. Not while `busy`: a thread still
 * inside the library (a call that never returned) would have it finalized under it, which is
 * undefined behaviour; the library is then left as it is.
 */
export function releaseModule(path: string, busy = false): void {
  const entry = loaded.get(path);
  if (!entry || --entry.users > 0) return;
  loaded.delete(path);
  if (busy || entry.initialization !== 'done') return;
  try {
    entry.module.finalize();
    entry.module.close();
  } catch {
    // Nothing useful to do: the process is done with the module either way.
  }
}

/**
 * C_Login as user, by `login` (one attempt each). CKR_USER_ALREADY_LOGGED_IN counts as success
 * (the login is per process); CKR_GENERAL_ERROR is retried with back-off; PIN errors are thrown
 * at once, never retried. Returns false when the token was already logged in (and the PIN
 * therefore not checked).
 */
export async function loginUser(login: () => Promise<void>): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await login();
      return true;
    } catch (err) {
      const code = ckrCode(err);
      if (code === CKR.USER_ALREADY_LOGGED_IN) return false;
      if (code !== CKR.GENERAL_ERROR || attempt >= LOGIN_BACKOFF_MS.length) throw toAppError(err, 'HSM login failed');
      await sleep(LOGIN_BACKOFF_MS[attempt]);
    }
  }
}

/**
 * Records a key store's share of the token login. The token answers a second C_Login with
 * CKR_USER_ALREADY_LOGGED_IN without looking at the PIN, so when `verified` is false the PIN is
 * compared with the one the process logged in with.
 */
export function claimLogin(path: string, slot: Buffer, pin: string, verified: boolean): void {
  const entry = loaded.get(path);
  if (!entry) throw new Error('claimLogin on a module that is not loaded');
  const login = entry.logins.get(slotKey(slot));
  if (!login) {
    entry.logins.set(slotKey(slot), { users: 1, pinDigest: digest(pin) });
    return;
  }
  if (!verified && !timingSafeEqual(login.pinDigest, digest(pin))) {
    // Shaped like the token's own answer so that it is treated as one: never retried.
    const cause = Object.assign(new Error('PIN differs from the one this process logged in with'), {
      name: 'Pkcs11Error', code: CKR.PIN_INCORRECT,
    });
    throw hsmUnavailable(cause, 'HSM login failed: PIN incorrect');
  }
  login.users++;
}

/** Drops a key store's share of the login; true when it was the last, so it should log out. */
export function releaseLogin(path: string, slot: Buffer): boolean {
  const logins = loaded.get(path)?.logins;
  const login = logins?.get(slotKey(slot));
  if (!logins || !login || --login.users > 0) return false;
  logins.delete(slotKey(slot));
  return true;
}
