import crypto from 'node:crypto';
import { AppError } from '../errors';
import type { IdentityRow, TokenRow } from '../store';
import type { AuthDeps } from './auth-deps';
import type { Claimed, Grant, Identity } from './identity';
import { newTokenSecret, SecretHasher, sameDigest, TOKEN_PREFIX } from './secret';

/** A token as the CLI and the admin API show it; `token` (the secret) only once, at creation. */
export interface TokenView {
  id: string;
  identityId: string;
  identity: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export const tokenView = (row: TokenRow, identity: Pick<IdentityRow, 'name'>): TokenView => ({
  id: row.id, identityId: row.identity_id, identity: identity.name, name: row.name,
  createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at,
});

/** Creates a token for an identity; the secret is returned here and never stored or shown again. */
export async function createToken(
  deps: AuthDeps,
  identity: IdentityRow,
  opts: { name?: string; expiresAt?: Date } = {},
): Promise<TokenView & { token: string }> {
  if (identity.revoked_at) throw new AppError('BadRequest', `Identity '${identity.name}' is revoked`);
  const secret = newTokenSecret();
  const row: TokenRow = {
    id: crypto.randomUUID(), identity_id: identity.id, name: opts.name ?? identity.name,
    hash: deps.hasher.hash(secret), hash_scheme: 'hmac-sha256', created_at: deps.now().toISOString(),
    expires_at: opts.expiresAt?.toISOString() ?? null, revoked_at: null,
  };
  await deps.store.identities.insertToken(row);
  return { ...tokenView(row, identity), token: secret };
}

/**
 * Finds the token row for a secret in constant time per candidate. A token from before
 * migration 003 (bare SHA-256) is found by its old hash and re-hashed with the pepper at once.
 */
async function findToken(deps: AuthDeps, secret: string): Promise<TokenRow | undefined> {
  const repo = deps.store.identities;
  const hash = deps.hasher.hash(secret);
  const row = await repo.findTokenByHash(hash, 'hmac-sha256');
  if (row) return sameDigest(row.hash, hash) ? row : undefined;
  const legacy = SecretHasher.legacyHash(secret);
  const old = await repo.findTokenByHash(legacy, 'sha256');
  if (!old || !sameDigest(old.hash, legacy)) return undefined;
  await repo.updateToken(old.id, { hash, hash_scheme: 'hmac-sha256' });
  return { ...old, hash, hash_scheme: 'hmac-sha256' };
}

/** Parsed grants per identity row: the store hands out the same (frozen) row while it is current. */
const parsedGrants = new WeakMap<IdentityRow, Grant[]>();
function grantsOf(identity: IdentityRow): Grant[] {
  let grants = parsedGrants.get(identity);
  if (!grants) parsedGrants.set(identity, (grants = Object.freeze(JSON.parse(identity.grants)) as Grant[]));
  return grants;
}

const expired = (at: string | null, now: Date): boolean => at !== null && Date.parse(at) <= now.getTime();

/** The identity behind a live credential: 401 if revoked, 403 TokenError once expired. */
export function liveIdentity(
  identity: IdentityRow, credential: string, now: Date, claimed: Claimed, tokenExpiresAt: string | null = null,
): Identity {
  Object.assign(claimed, { name: identity.name, credential });
  if (identity.revoked_at) throw new AppError('Unauthorized', 'Identity revoked');
  if (expired(tokenExpiresAt, now) || expired(identity.expires_at, now)) {
    throw new AppError('TokenExpired', 'Your token has expired. Please re-authenticate.');
  }
  return { identityId: identity.id, name: identity.name, grants: grantsOf(identity), credential };
}

/**
 * Contract rows 1–2: no header, not `Bearer`, unknown or revoked token (or identity) → 401;
 * the token or its identity expired → 403 TokenError.
 */
export async function authenticateBearer(deps: AuthDeps, header: string | undefined, claimed: Claimed = {}): Promise<Identity> {
  if (!header) throw new AppError('Unauthorized', 'Token missing');
  const m = /^Bearer[ ]+(\S+)$/i.exec(header);
  if (!m) throw new AppError('Unauthorized', 'Authorization header must be Bearer <token>');
  const secret = m[1];
  if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 200) throw new AppError('Unauthorized', 'Invalid token');
  const row = await findToken(deps, secret);
  if (!row) throw new AppError('Unauthorized', 'Invalid token');
  claimed.credential = `token:${row.id}`;
  if (row.revoked_at) throw new AppError('Unauthorized', 'Token revoked');
  const identity = await deps.store.identities.getIdentity(row.identity_id);
  if (!identity) throw new AppError('Unauthorized', 'Invalid token');
  return { ...liveIdentity(identity, `token:${row.id}`, deps.now(), claimed, row.expires_at), tokenId: row.id };
}
