import os from 'node:os';
import { authorize } from '../auth/permissions';
import type { Action, Identity } from '../auth/identity';
import { notFound } from '../errors';
import type { CaRow } from '../store';
import type { ServiceDeps } from './deps';

/**
 * Whoever runs the CLI on the daemon's host already holds the database and the PIN: the CLI
 * acts as this identity, with every grant, and is recorded under it.
 */
export const LOCAL_OPERATOR: Identity = {
  identityId: 'local',
  name: `local:${os.userInfo().username}`,
  grants: [{ action: '*', ca: '*' }],
  credential: 'cli',
};

/** 404 for an unknown CA, then 403 unless `identity` may `action` on it. */
export async function requireCa(deps: ServiceDeps, caId: string, identity: Identity, action: Action): Promise<CaRow> {
  const ca = await deps.store.getCa(caId);
  if (!ca) throw notFound(`CA with ID '${caId}' not found`);
  authorize(identity, action, ca);
  return ca;
}
