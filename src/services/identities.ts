import crypto from 'node:crypto';
import type { AuthDeps } from '../auth/auth-deps';
import { normalizeSan, type ClientCertKey } from '../auth/client-cert';
import { normalizeSubject } from '../auth/distinguished-name';
import { ACTIONS, type Grant } from '../auth/identity';
import { badRequest, notFound } from '../errors';
import type { IdentityRow } from '../store';
import { isUniqueViolation } from '../store/unique-violation';

/** An identity as the CLI and the admin API show it. */
export interface IdentityView {
  id: string;
  name: string;
  grants: Grant[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  /** Client-certificate subject DNs that authenticate as this identity (mTLS). */
  clientSubjects: string[];
  /** Client-certificate subjectAltNames (`dns:…`, `email:…`, `uri:…`) that do the same. */
  clientSans: string[];
}

export interface IdentityChanges {
  grants?: Grant[];
  /** null removes the expiry. */
  expiresAt?: Date | null;
  clientSubjects?: string[];
  clientSans?: string[];
}

export interface NewIdentity extends IdentityChanges {
  name: string;
  grants: Grant[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkGrants(grants: Grant[]): Grant[] {
  for (const g of grants) {
    if (g.action !== '*' && !(ACTIONS as readonly string[]).includes(g.action)) throw badRequest(`Unknown action '${g.action}'`);
    if (typeof g.ca !== 'string' || !g.ca || g.ca.length > 200) throw badRequest('A grant names a CA id, a CA name or *');
  }
  return grants.map((g) => ({ action: g.action, ca: g.ca }));
}

/** Client-certificate mappings in the one form they are compared in. */
function certKeys(changes: IdentityChanges): ClientCertKey[] | undefined {
  if (!changes.clientSubjects && !changes.clientSans) return undefined;
  try {
    return [
      ...(changes.clientSubjects ?? []).map((s) => ({ kind: 'subject' as const, value: normalizeSubject(s) })),
      ...(changes.clientSans ?? []).map((s) => ({ kind: 'san' as const, value: normalizeSan(s) })),
    ];
  } catch (e) {
    throw badRequest(`Invalid client certificate mapping: ${(e as Error).message}`);
  }
}

function checkExpiry(deps: AuthDeps, at: Date | null | undefined): string | null | undefined {
  if (at && at.getTime() <= deps.now().getTime()) throw badRequest('expiresAt is in the past');
  return at === undefined ? undefined : at?.toISOString() ?? null;
}

async function view(deps: AuthDeps, row: IdentityRow): Promise<IdentityView> {
  const certs = await deps.store.identities.clientCerts(row.id);
  return {
    id: row.id, name: row.name, grants: JSON.parse(row.grants) as Grant[], createdAt: row.created_at,
    expiresAt: row.expires_at, revokedAt: row.revoked_at,
    clientSubjects: certs.filter((c) => c.kind === 'subject').map((c) => c.value),
    clientSans: certs.filter((c) => c.kind === 'san').map((c) => c.value),
  };
}

/** Turns a unique-key collision into the 400 an operator can act on. */
async function unique<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (isUniqueViolation(e)) throw badRequest(what);
    throw e;
  }
}

export async function findIdentity(deps: AuthDeps, idOrName: string): Promise<IdentityRow> {
  const row = await deps.store.identities.getIdentity(idOrName);
  if (!row) throw notFound(`Identity '${idOrName}' not found`);
  return row;
}

export async function createIdentity(deps: AuthDeps, input: NewIdentity): Promise<IdentityView> {
  if (!NAME.test(input.name) || UUID.test(input.name)) {
    throw badRequest('Identity name: 1–100 of A-Z a-z 0-9 . _ @ -, starting with a letter or digit, and not a UUID');
  }
  const row: IdentityRow = {
    id: crypto.randomUUID(), name: input.name, grants: JSON.stringify(checkGrants(input.grants)),
    created_at: deps.now().toISOString(), expires_at: checkExpiry(deps, input.expiresAt) ?? null, revoked_at: null,
  };
  const certs = certKeys(input) ?? [];
  if (await deps.store.identities.getIdentity(input.name)) throw badRequest(`An identity named '${input.name}' already exists`);
  await unique('A client certificate mapping is already used by another identity', () =>
    deps.store.identities.insertIdentity(row, certs));
  return view(deps, row);
}

export async function listIdentities(deps: AuthDeps): Promise<IdentityView[]> {
  return Promise.all((await deps.store.identities.listIdentities()).map((r) => view(deps, r)));
}

export async function getIdentity(deps: AuthDeps, idOrName: string): Promise<IdentityView> {
  return view(deps, await findIdentity(deps, idOrName));
}

/** Replaces what `changes` names: the grant list, the expiry, the client-certificate mappings. */
export async function updateIdentity(deps: AuthDeps, idOrName: string, changes: IdentityChanges): Promise<IdentityView> {
  const row = await findIdentity(deps, idOrName);
  const patch: Partial<IdentityRow> = {};
  if (changes.grants) patch.grants = JSON.stringify(checkGrants(changes.grants));
  const expiresAt = checkExpiry(deps, changes.expiresAt);
  if (expiresAt !== undefined) patch.expires_at = expiresAt;
  await unique('A client certificate mapping is already used by another identity', () =>
    deps.store.identities.updateIdentity(row.id, patch, certKeys(changes)));
  return getIdentity(deps, row.id);
}

/** Revokes an identity: every token it has and every certificate mapped to it stop working at once. */
export async function revokeIdentity(deps: AuthDeps, idOrName: string): Promise<IdentityView> {
  const row = await findIdentity(deps, idOrName);
  if (!row.revoked_at) await deps.store.identities.updateIdentity(row.id, { revoked_at: deps.now().toISOString() });
  return getIdentity(deps, row.id);
}
