/**
 * One PKCS#11 return code → one error kind, decided by `Pkcs11Error.code` (the CKR_ number),
 * never by message text. Every token failure is the HSM's trouble, not the client's: it maps to
 * `HsmUnavailable` (503). The codes are the standard `pkcs11t.h` values.
 */
import { AppError, hsmUnavailable } from '../../errors';
import type { KeyStoreEvents } from '../keystore';
import { ckrName } from './names';

export const CKR = {
  SLOT_ID_INVALID: 0x03,
  GENERAL_ERROR: 0x05,
  DEVICE_ERROR: 0x30,
  DEVICE_MEMORY: 0x31,
  DEVICE_REMOVED: 0x32,
  KEY_HANDLE_INVALID: 0x60,
  OBJECT_HANDLE_INVALID: 0x82,
  PIN_INCORRECT: 0xa0,
  PIN_INVALID: 0xa1,
  PIN_LEN_RANGE: 0xa2,
  PIN_EXPIRED: 0xa3,
  PIN_LOCKED: 0xa4,
  SESSION_CLOSED: 0xb0,
  SESSION_COUNT: 0xb1,
  SESSION_HANDLE_INVALID: 0xb3,
  TOKEN_NOT_PRESENT: 0xe0,
  TOKEN_NOT_RECOGNIZED: 0xe1,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_NOT_LOGGED_IN: 0x101,
  CRYPTOKI_NOT_INITIALIZED: 0x190,
} as const;

/**
 * Codes after which a session (and possibly the login) is gone: drop it, re-open, re-login,
 * re-find key handles. Stale handles are in the list because a token that logged the process
 * out (or restarted) may hand out new object handles: SoftHSM does.
 */
const SESSION_LOST: ReadonlySet<number> = new Set([
  CKR.DEVICE_ERROR,
  CKR.DEVICE_REMOVED,
  CKR.KEY_HANDLE_INVALID,
  CKR.OBJECT_HANDLE_INVALID,
  CKR.SESSION_CLOSED,
  CKR.SESSION_HANDLE_INVALID,
  CKR.TOKEN_NOT_PRESENT,
  CKR.USER_NOT_LOGGED_IN,
]);

/**
 * Codes after which the module itself may need C_Finalize + C_Initialize before a session can be
 * opened again: the library lost its state (an HSM client restarted) or the token went away and
 * came back under a new slot.
 */
const MODULE_LOST: ReadonlySet<number> = new Set([
  CKR.CRYPTOKI_NOT_INITIALIZED,
  CKR.DEVICE_ERROR,
  CKR.DEVICE_REMOVED,
  CKR.GENERAL_ERROR,
  CKR.SLOT_ID_INVALID,
  CKR.TOKEN_NOT_PRESENT,
  CKR.TOKEN_NOT_RECOGNIZED,
]);

/** PIN failures: reported once and never retried, since a retry loop locks the token. */
const PIN_REASONS: ReadonlyMap<number, string> = new Map([
  [CKR.PIN_INCORRECT, 'HSM login failed: PIN incorrect'],
  [CKR.PIN_INVALID, 'HSM login failed: PIN has invalid characters'],
  [CKR.PIN_LEN_RANGE, 'HSM login failed: PIN length out of range'],
  [CKR.PIN_EXPIRED, 'HSM login failed: PIN expired'],
  [CKR.PIN_LOCKED, 'HSM login failed: PIN locked'],
]);

/** The CKR_ code of a pkcs11js `Pkcs11Error`, or undefined for anything else. */
export function ckrCode(err: unknown): number | undefined {
  if (!(err instanceof Error) || err.name !== 'Pkcs11Error') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** The operation failed because its session (or the whole module) is gone: recover, retry once. */
export function isSessionLost(err: unknown): boolean {
  const code = ckrCode(err);
  return code !== undefined && (SESSION_LOST.has(code) || code === CKR.CRYPTOKI_NOT_INITIALIZED);
}

/** Re-opening a session failed in a way a fresh C_Initialize may cure. */
export function isModuleLost(err: unknown): boolean {
  const code = ckrCode(err) ?? ckrCode((err as { cause?: unknown } | undefined)?.cause);
  return code !== undefined && MODULE_LOST.has(code);
}

/** Also looks through an `AppError` at its cause: a PIN error must never lead to another login. */
export function isPinError(err: unknown): boolean {
  const code = ckrCode(err) ?? ckrCode((err as { cause?: unknown } | undefined)?.cause);
  return code !== undefined && PIN_REASONS.has(code);
}

/**
 * Turns a failure from token code into the error to throw: `AppError`s pass through, PKCS#11
 * errors become `HsmUnavailable` (with a non-secret reason for PIN trouble), anything else is a
 * bug and stays as it is.
 */
export function toAppError(err: unknown, what: string): unknown {
  if (err instanceof AppError) return err;
  const code = ckrCode(err);
  if (code === undefined) return err;
  return hsmUnavailable(err, PIN_REASONS.get(code) ?? `${what}: ${ckrName(code)}`);
}

/** Counts a PKCS#11 error (raw or wrapped in an AppError) by its CKR_ name; errors of our own are not the token's. */
export function reportError(events: KeyStoreEvents | undefined, err: unknown, operation: string): void {
  if (!events?.failed) return;
  const code = ckrCode(err) ?? (err instanceof AppError ? ckrCode(err.cause) : undefined);
  if (code !== undefined) events.failed({ code: ckrName(code), operation });
}
