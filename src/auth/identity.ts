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

/** Who is calling: resolved from a bearer token by the auth middleware. */
export interface Identity {
  tokenId: string;
  name: string;
  grants: Grant[];
}
