/** The actions a grant can allow. `*` allows all of them. */
export const ACTIONS = [
  'sign-intermediate', 'issue-ca-certificate', 'create', 'read', 'update', 'delete', 'import', 'revoke',
  'manage-identities',
] as const;
export type Action = (typeof ACTIONS)[number];

/** `{action, ca}`: `ca` is a CA id, a CA name, or `*`; `action` may be `*`. */
export interface Grant {
  action: Action | '*';
  ca: string;
}

/** Who is calling: an identity, resolved from a bearer token or a client certificate. */
export interface Identity {
  identityId: string;
  name: string;
  grants: Grant[];
  /** Which credential proved it: `token:<token id>` or `cert:<SHA-256 of the client certificate>`. */
  credential: string;
  /** Set when a bearer token was used. */
  tokenId?: string;
}

/**
 * Who a request claimed to be, filled in as authentication learns it, so that the audit event
 * of a refused request (revoked, expired, unmapped) still names the identity and credential.
 */
export interface Claimed {
  name?: string;
  credential?: string;
}

/** `action:ca` (ca defaults to `*`), as the CLI takes grants. Throws on an unknown action. */
export function parseGrant(text: string): Grant {
  const i = text.indexOf(':');
  const action = i < 0 ? text : text.slice(0, i);
  const ca = i < 0 ? '*' : text.slice(i + 1);
  if (action !== '*' && !(ACTIONS as readonly string[]).includes(action)) {
    throw new Error(`unknown action '${action}' (one of *, ${ACTIONS.join(', ')})`);
  }
  if (!ca) throw new Error(`grant '${text}' names no CA: use a CA id, a CA name or *`);
  return { action: action as Grant['action'], ca };
}
