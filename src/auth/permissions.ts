import { AppError } from '../errors';
import type { Action, Grant, Identity } from './identity';

const grantMatches = (g: Grant, action: Action, ca: { id: string; name: string }): boolean =>
  (g.action === '*' || g.action === action) && (g.ca === '*' || g.ca === ca.id || g.ca === ca.name);

const denied = (identity: Identity, action: Action, subject: string): AppError =>
  new AppError('PermissionDenied', `You are not allowed to ${action} on ${subject}`,
    { identity: identity.name, grants: identity.grants });

/**
 * Contract row 6: without a grant for `action` on this CA, a 403 whose `details` lists the
 * grants the identity holds, so an operator can see at once why it was refused.
 */
export function authorize(identity: Identity, action: Action, ca: { id: string; name: string }): void {
  if (identity.grants.some((g) => grantMatches(g, action, ca))) return;
  throw denied(identity, action, 'certificate-authorities');
}

/** Identity administration is not about one CA: it takes `manage-identities` (or `*`) on `*`. */
export const isAdmin = (identity: Pick<Identity, 'grants'>): boolean =>
  identity.grants.some((g) => (g.action === '*' || g.action === 'manage-identities') && g.ca === '*');

export function authorizeAdmin(identity: Identity): void {
  if (!isAdmin(identity)) throw denied(identity, 'manage-identities', 'identities');
}
