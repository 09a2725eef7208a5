import crypto from 'node:crypto';
import { AppError } from '../errors';
import type { Store } from '../store';
import type { Grant, Identity } from './identity';

const PREFIX = 'hsmca_';

/** At rest only this hash exists: the 256-bit secret itself is shown once, at creation. */
const hashSecret = (secret: string): string => crypto.createHash('sha256').update(secret).digest('hex');

export interface CreatedToken {
  id: string;
  name: string;
  token: string;
  grants: Grant[];
  expiresAt: string | null;
}

export async function createToken(
  store: Store,
  opts: { name: string; grants: Grant[]; expiresAt?: Date; now?: Date },
): Promise<CreatedToken> {
  const secret = PREFIX + crypto.randomBytes(32).toString('base64url');
  const id = crypto.randomUUID();
  const expiresAt = opts.expiresAt?.toISOString() ?? null;
  await store.insertToken({
    id,
    name: opts.name,
    hash: hashSecret(secret),
    grants: JSON.stringify(opts.grants),
    created_at: (opts.now ?? new Date()).toISOString(),
    expires_at: expiresAt,
    revoked_at: null,
  });
  return { id, name: opts.name, token: secret, grants: opts.grants, expiresAt };
}

/**
 * Contract rows 1–2: no header, not `Bearer`, unknown or revoked → 401; expired → 403.
 * The lookup is by hash, and the stored hash is compared again in constant time.
 */
export async function authenticate(store: Store, header: string | undefined, now = new Date()): Promise<Identity> {
  if (!header) throw new AppError('Unauthorized', 'Token missing');
  const m = /^Bearer[ ]+(\S+)$/i.exec(header);
  if (!m) throw new AppError('Unauthorized', 'Authorization header must be Bearer <token>');
  const secret = m[1];
  if (!secret.startsWith(PREFIX) || secret.length > 200) throw new AppError('Unauthorized', 'Invalid token');
  const hash = hashSecret(secret);
  const row = await store.findTokenByHash(hash);
  if (!row || !crypto.timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) {
    throw new AppError('Unauthorized', 'Invalid token');
  }
  if (row.revoked_at) throw new AppError('Unauthorized', 'Token revoked');
  if (row.expires_at && Date.parse(row.expires_at) <= now.getTime()) {
    throw new AppError('TokenExpired', 'Your token has expired. Please re-authenticate.');
  }
  return { tokenId: row.id, name: row.name, grants: JSON.parse(row.grants) as Grant[] };
}
