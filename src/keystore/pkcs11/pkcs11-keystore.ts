/** The PKCS#11 `KeyStore`: keys generated in and used from one token, by RFC 7512 URI. */
import { AppError, badRequest, hsmUnavailable } from '../../errors';
import {
  KEY_ALGORITHMS, SIGNATURE_ALGORITHMS,
  type GeneratedKey, type KeyAlgorithm, type KeyStore, type KeyStoreEvents, type SessionUsage,
  type SignatureAlgorithm, type Signer,
} from '../keystore';
import { checkSignature, openHealthSigner } from './health';
import type { KeyAttributes, KeyInspector } from './key-attributes';
import { DEFAULT_SIGNATURE } from './key-algorithms';
import { KeyCache } from './key-cache';
import { keyRefFromUri } from './key-lookup';
import { planSignature } from './mechanisms';
import { Pkcs11Signer } from './signer';
import { Token, type TokenStatus } from './token';
import { formatPkcs11Uri } from './uri';

export interface Pkcs11KeyStoreOptions {
  /** Path of the PKCS#11 module (.so). */
  module: string;
  /** CKA_LABEL of the token holding the CA keys. */
  tokenLabel: string;
  /** User PIN, read by the caller from a file or the environment. */
  pin: string;
  /**
   * Operation sessions (default 16), lowered to what the token allows beside the login session,
   * and to what it gives when other processes share its limit (CKR_SESSION_COUNT).
   */
  sessions?: number;
  /** Threads that run C_SignInit + C_Sign off the event loop (default 1, see sign-threads.ts). */
  signThreads?: number;
  /** Longest a signature may take, waiting for a session included (default 10 s); then 503. */
  signTimeoutMs?: number;
  /**
   * For the daemon: when the token cannot be opened (absent, PIN refused), return a key store
   * that is down and says why (`status()`), retrying in the background unless the PIN was refused.
   */
  lenient?: boolean;
  /** Told whenever the token becomes usable or unusable. */
  onStatus?: (status: TokenStatus) => void;
  /** Optional observer (metrics): sign latencies by mechanism, PKCS#11 errors by CKR_ name. */
  events?: KeyStoreEvents;
}

/**
 * The "what the token allows, capped": a leased session is also a signature queued on
 * the signing thread, so more sessions make bigger batches (measured: 4 → 16 sessions, +19 and
 * +33 % requests/s, docs/performance.md). The token's own limit lowers it.
 */
export const DEFAULT_SESSIONS = 16;
export const DEFAULT_SIGN_TIMEOUT_MS = 10_000;
export const DEFAULT_SIGN_THREADS = 1;
/** Key generation's own bound: RSA-4096 takes seconds, or tens of them on a slow token. */
const KEYGEN_TIMEOUT_MS = 300_000;

class Pkcs11KeyStore implements KeyStore, KeyInspector, SessionUsage {
  private readonly keys: KeyCache;
  private healthSigner: Promise<Signer> | undefined;

  constructor(private readonly token: Token) {
    this.keys = new KeyCache(token);
  }

  async generateKeyInToken(algorithm: KeyAlgorithm, label: string): Promise<GeneratedKey> {
    if (!KEY_ALGORITHMS.includes(algorithm)) throw badRequest(`unknown key algorithm ${String(algorithm)}`);
    if (typeof label !== 'string' || label.length === 0) throw badRequest('a key label is required');
    // No retry: a generation whose reply was lost may still have made a key pair.
    const { id, spki } = await this.token.run('PKCS#11 key generation', (session) =>
      this.token.call('generateKeyPair', [session, this.token.slot, algorithm, label], KEYGEN_TIMEOUT_MS), { retry: false });
    return { uri: formatPkcs11Uri({ token: this.token.label, object: label, id }), spki };
  }

  async openSigner(uri: string, signatureAlgorithm?: SignatureAlgorithm): Promise<Signer> {
    if (signatureAlgorithm !== undefined && !SIGNATURE_ALGORITHMS.includes(signatureAlgorithm)) {
      throw badRequest(`unknown signature algorithm ${String(signatureAlgorithm)}`);
    }
    const ref = keyRefFromUri(uri, this.token.label);
    const key = await this.token.lookup('PKCS#11 key lookup', () => this.keys.get(ref));
    const algorithm = signatureAlgorithm ?? DEFAULT_SIGNATURE[key.keyAlgorithm];
    return new Pkcs11Signer(this.token, this.keys, {
      uri: key.uri,
      keyAlgorithm: key.keyAlgorithm,
      spki: key.spki,
      signatureAlgorithm: algorithm,
      plan: planSignature(key.keyAlgorithm, algorithm, this.token.mechanisms),
      ref,
    });
  }

  findKeys(label: string): Promise<GeneratedKey[]> {
    return this.token.lookup('PKCS#11 key lookup', async () => {
      const found = await this.token.call('findKeys', [this.token.session, this.token.slot, this.token.label, label]);
      return found.map((k) => ({ uri: k.uri, spki: k.spki }))
        .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
    });
  }

  async health(): Promise<void> {
    try {
      this.healthSigner ??= openHealthSigner(this);
      await checkSignature(await this.healthSigner);
    } catch (err) {
      this.healthSigner = undefined; // find or make it afresh next time
      throw err instanceof AppError && err.kind === 'HsmUnavailable' ? err : hsmUnavailable(err, 'HSM health check failed');
    }
  }

  status(): TokenStatus {
    return this.token.status();
  }

  inspectKey(uri: string): Promise<KeyAttributes> {
    const ref = keyRefFromUri(uri, this.token.label);
    return this.token.lookup('PKCS#11 key lookup', () =>
      this.token.call('inspectKey', [this.token.session, this.token.slot, this.token.label, ref]));
  }

  sessionUsage(): { inUse: number; idle: number; waiting: number; hung: number } {
    const { leased, idle, waiting } = this.token.sessionStats;
    return { inUse: leased, idle, waiting, hung: this.token.hungCalls };
  }

  close(): Promise<void> {
    return this.token.close();
  }
}

/**
 * Opens the token labelled `tokenLabel` in `module` and logs in once. Throws HsmUnavailable
 * when the module, the token or the login fails (PIN errors are never retried).
 */
export async function openPkcs11KeyStore(opts: Pkcs11KeyStoreOptions): Promise<KeyStore & KeyInspector & SessionUsage> {
  const sessions = opts.sessions ?? DEFAULT_SESSIONS;
  if (!Number.isInteger(sessions) || sessions < 1) throw new Error('sessions must be a positive integer');
  return new Pkcs11KeyStore(await Token.open({
    module: opts.module, tokenLabel: opts.tokenLabel, pin: opts.pin, sessions,
    opTimeoutMs: opts.signTimeoutMs ?? DEFAULT_SIGN_TIMEOUT_MS, signThreads: opts.signThreads ?? DEFAULT_SIGN_THREADS,
    lenient: opts.lenient, onStatus: opts.onStatus, events: opts.events,
  }));
}
