import { AppError } from '../errors';
import type { Action, Grant, Identity } from './identity';

const grantMatches = (g: Grant, action: Action, ca: { id: string; name: string }): boolean =>
  (g.action === '*' || g.action === action) && (g.ca === '*' || g.ca === ca.id || g.ca === ca.name);

/**
 * Contract row 6: without a grant for `action` on this CA, a 403 whose `details` lists the
 * grants the token holds, so an operator can see at once why it was refused.
 */
export function authorize(identity: Identity, action: Action, ca: { id: string; name: string }): void {
  if (identity.grants.some((g) => grantMatches(g, action, ca))) return;
  throw new AppError(
    'PermissionDenied',
    `You are not allowed to ${action} on certificate-authorities`,
    { identity: identity.name, grants: identity.grants },
  );
}
