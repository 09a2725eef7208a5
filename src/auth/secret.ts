import crypto from 'node:crypto';

/** Every token secret starts with this, so scanners (and people) recognise a leaked one. */
export const TOKEN_PREFIX = 'hsmca_';
/** A pepper shorter than this is refused: it must be as hard to guess as a secret. */
export const MIN_PEPPER_BYTES = 32;

/** 256 random bits, base64url, behind the prefix. */
export const newTokenSecret = (): string => TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');

/**
 * Secrets at rest: HMAC-SHA256 under a server-side pepper that lives outside the database (a
 * file or the environment), so a stolen database alone does not allow an offline check of a
 * guessed secret. The secrets themselves are 256-bit random, so no slow hash is needed.
 */
export class SecretHasher {
  /** A KeyObject, so the key is not copied into a new one at every request. */
  private readonly pepper: crypto.KeyObject;

  constructor(pepper: string | Buffer) {
    const bytes = Buffer.from(pepper);
    if (bytes.length < MIN_PEPPER_BYTES) throw new Error(`the token pepper must be at least ${MIN_PEPPER_BYTES} bytes`);
    this.pepper = crypto.createSecretKey(bytes);
    bytes.fill(0);
  }

  hash(secret: string): string {
    return crypto.createHmac('sha256', this.pepper).update(secret, 'utf8').digest('hex');
  }

  /** Tokens made before migration 003 were stored as a bare SHA-256. */
  static legacyHash(secret: string): string {
    return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
  }
}

/** Constant-time equality of two hex digests (false for different lengths). */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && crypto.timingSafeEqual(x, y);
}
