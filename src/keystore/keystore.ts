/**
 * The seam between certificate logic and the HSM. Shaped after smallstep's `kms/apiv1`
 * (a small core interface) and Go's `crypto.Signer`: callers hand over the DER to be signed
 * and get back a signature already in X.509 form. Nothing outside `src/keystore` imports graphene.
 */

/** Infisical's key algorithm names, plus Ed25519. */
export const KEY_ALGORITHMS = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'EC_prime256v1',
  'EC_secp384r1',
  'EC_secp521r1',
  'ED25519',
] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** X.509 signature algorithms a CA key can sign with. */
export const SIGNATURE_ALGORITHMS = [
  'sha256WithRSAEncryption',
  'sha384WithRSAEncryption',
  'sha512WithRSAEncryption',
  'rsassaPss-sha256',
  'rsassaPss-sha384',
  'rsassaPss-sha512',
  'ecdsa-with-SHA256',
  'ecdsa-with-SHA384',
  'ecdsa-with-SHA512',
  'Ed25519',
] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** A private key in the token, able to sign. */
export interface Signer {
  /** RFC 7512 URI of the private key, e.g. `pkcs11:token=ca;object=root-2026;id=%01%02`. */
  readonly uri: string;
  readonly keyAlgorithm: KeyAlgorithm;
  /** DER SubjectPublicKeyInfo of the key pair, built from the token's public attributes. */
  readonly spki: Buffer;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** How the token signs, for diagnostics and metrics, e.g. `CKM_ECDSA` (host-hashed). */
  readonly mechanism?: string;
  /**
   * Signs `tbs` (the DER to be signed, not a digest) with `C_Sign` off the event loop.
   * Returns the signature as X.509 carries it: PKCS#1 v1.5 / PSS bytes, DER ECDSA-Sig-Value,
   * or the 64 raw Ed25519 bytes. Throws `AppError('HsmUnavailable')` on token trouble.
   */
  sign(tbs: Buffer): Promise<Buffer>;
}

export interface GeneratedKey {
  uri: string;
  spki: Buffer;
}

export interface KeyStoreStatus {
  ready: boolean;
  reason?: string;
  /** Whether the key store keeps trying by itself (false: the operator must act, e.g. a refused PIN). */
  retrying?: boolean;
}

export interface KeyStore {
  /** Generates a key pair inside the token: sensitive, non-extractable, token object. */
  generateKeyInToken(algorithm: KeyAlgorithm, label: string): Promise<GeneratedKey>;
  /**
   * Opens a signer for an existing private key named by RFC 7512 URI. `signatureAlgorithm`
   * defaults by key: RSA → sha256WithRSAEncryption, P-256/384/521 → ecdsa-with-SHA256/384/512,
   * Ed25519 → Ed25519. Throws `BadRequest` when the URI names no key or the token lacks a
   * mechanism the algorithm needs.
   */
  openSigner(uri: string, signatureAlgorithm?: SignatureAlgorithm): Promise<Signer>;
  /**
   * Every key pair in the token whose private key has this label, ordered by URI. Keys the
   * daemon keeps for itself (health check, audit checkpoints) are found this way and made with
   * `generateKeyInToken` when missing.
   */
  findKeys(label: string): Promise<GeneratedKey[]>;
  /** A real test signature on the token; throws `HsmUnavailable` when the token is unusable. */
  health(): Promise<void>;
  /** Whether the token is usable now and, when it is not, why (no token operation is made). */
  status(): KeyStoreStatus;
  /** Closes sessions, logs out, finalizes the module. */
  close(): Promise<void>;
}

/**
 * An optional observer of the key store, for metrics. Callbacks run on the hot path: they must
 * be cheap and must not throw. Passed in the key store's options, so the key store itself
 * stays free of any metrics library.
 */
export interface KeyStoreEvents {
  /** A signature came back from the token; `seconds` is the time on the session, not the queue. */
  signed?(event: { mechanism: string; seconds: number }): void;
  /** The token answered with a PKCS#11 error (`CKR_…`), whether or not a retry then succeeded. */
  failed?(event: { code: string; operation: string }): void;
}

/** Optional ability: how busy the key store's sessions are right now. */
export interface SessionUsage {
  /** `hung`: token calls given up on after their time limit that have not returned yet. */
  sessionUsage(): { inUse: number; idle: number; waiting: number; hung: number };
}
