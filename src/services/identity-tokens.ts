import type { AuthDeps } from '../auth/auth-deps';
import { createToken, tokenView, type TokenView } from '../auth/tokens';
import { isAdmin } from '../auth/permissions';
import { badRequest, notFound } from '../errors';
import { createIdentity, findIdentity } from './identities';

export type CreatedToken = TokenView & { token: string };

/** A new token for an identity; the secret is in the result and nowhere else. */
export async function createIdentityToken(
  deps: AuthDeps, idOrName: string, opts: { name?: string; expiresAt?: Date } = {},
): Promise<CreatedToken> {
  const identity = await findIdentity(deps, idOrName);
  if (opts.expiresAt && opts.expiresAt.getTime() <= deps.now().getTime()) throw badRequest('expiresAt is in the past');
  if (opts.name !== undefined && (!opts.name.trim() || opts.name.length > 100)) throw badRequest('Token name: 1–100 characters');
  return createToken(deps, identity, opts);
}

export async function listIdentityTokens(deps: AuthDeps, idOrName: string): Promise<TokenView[]> {
  const identity = await findIdentity(deps, idOrName);
  return (await deps.store.identities.listTokens(identity.id)).map((t) => tokenView(t, identity));
}

/** Revokes one token; `idOrName`, when given, must be the token's identity (the API nests tokens). */
export async function revokeToken(deps: AuthDeps, tokenId: string, idOrName?: string): Promise<TokenView> {
  const token = await deps.store.identities.getToken(tokenId);
  const identity = token && (await deps.store.identities.getIdentity(token.identity_id));
  if (!token || !identity || (idOrName !== undefined && idOrName !== identity.id && idOrName !== identity.name)) {
    throw notFound(`Token '${tokenId}' not found`);
  }
  if (!token.revoked_at) {
    token.revoked_at = deps.now().toISOString();
    await deps.store.identities.updateToken(token.id, { revoked_at: token.revoked_at });
  }
  return tokenView(token, identity);
}

/**
 * `hsmca token create --name N --admin`: the first administrator (or another one). The identity
 * is created with `manage-identities` on `*` if it does not exist; an existing one must already
 * be an administrator, so this cannot silently widen someone's grants.
 */
export async function createAdminToken(deps: AuthDeps, name: string, opts: { expiresAt?: Date } = {}): Promise<CreatedToken> {
  const existing = await deps.store.identities.getIdentity(name);
  if (existing && !isAdmin({ grants: JSON.parse(existing.grants) })) {
    throw badRequest(`Identity '${name}' exists and is not an administrator: grant it manage-identities:* first`);
  }
  if (!existing) await createIdentity(deps, { name, grants: [{ action: 'manage-identities', ca: '*' }] });
  return createIdentityToken(deps, name, opts);
}

/** `hsmca token create --name N --grant …` without --identity: a new identity with one token. */
export async function createIdentityWithToken(
  deps: AuthDeps, input: Parameters<typeof createIdentity>[1], opts: { expiresAt?: Date } = {},
): Promise<CreatedToken> {
  await createIdentity(deps, input);
  return createIdentityToken(deps, input.name, opts);
}
