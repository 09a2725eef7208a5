import type { Router, RouterMiddleware } from '@koa/router';
import { compileRequest, findOperation, routerPath } from '../../api/openapi';
import type { Grant, Identity } from '../../auth/identity';
import { authorizeAdmin } from '../../auth/permissions';
import {
  createIdentity, getIdentity, listIdentities, revokeIdentity, updateIdentity, type IdentityView,
} from '../../services/identities';
import { createIdentityToken, listIdentityTokens, revokeToken } from '../../services/identity-tokens';
import type { AppDeps } from '../app';
import type { AuditState } from '../middleware/audit';
import { readJsonBody } from '../middleware/json-body';
import { validateRequest } from '../validate';

interface Input {
  params: Record<string, string>;
  body: Record<string, unknown>;
  dates: Record<string, Date | undefined>;
}

interface Body {
  name?: string;
  grants?: Grant[];
  expiresAt?: string | null;
  clientSubjects?: string[];
  clientSans?: string[];
}

type Handler = (input: Input, audit: AuditState) => Promise<unknown>;

/**
 * The admin API (src/api/identities.openapi.yaml). Every operation takes `manage-identities` on
 * `*`, checked right after authentication: a caller without it learns nothing about the body.
 */
export function identityRoutes(router: Router, deps: AppDeps, guard: () => RouterMiddleware[]): void {
  const { auth } = deps;
  const identityTarget = (audit: AuditState) => (v: IdentityView): IdentityView => {
    audit.target = `identity:${v.id}`;
    return v;
  };
  const route = (operationId: string, handler: Handler): void => {
    const validators = compileRequest(operationId);
    const { path, method } = findOperation(operationId);
    const hasBody = method === 'post' || method === 'patch';
    router[method as 'get' | 'post' | 'patch' | 'delete'](routerPath(path), ...guard(), async (ctx) => {
      authorizeAdmin(ctx.state.identity as Identity);
      const raw = hasBody ? await readJsonBody(ctx, deps.bodyLimit) : undefined;
      const { body, dates } = validateRequest<Record<string, unknown>>(validators, ctx.params, raw, ['expiresAt']);
      ctx.body = await handler({ params: ctx.params, body: body ?? {}, dates }, ctx.state.audit);
    });
  };
  const changes = (b: Body, dates: Input['dates']) => ({
    grants: b.grants, clientSubjects: b.clientSubjects, clientSans: b.clientSans,
    expiresAt: b.expiresAt === null ? null : dates.expiresAt,
  });

  route('listIdentities', async () => ({ identities: await listIdentities(auth) }));
  route('createIdentity', async ({ body, dates }, audit) => {
    const b = body as Body;
    return identityTarget(audit)(await createIdentity(auth, { ...changes(b, dates), name: b.name!, grants: b.grants! }));
  });
  route('getIdentity', async ({ params }, audit) => identityTarget(audit)(await getIdentity(auth, params.identityId)));
  route('updateIdentity', async ({ params, body, dates }, audit) =>
    identityTarget(audit)(await updateIdentity(auth, params.identityId, changes(body as Body, dates))));
  route('revokeIdentity', async ({ params }, audit) => identityTarget(audit)(await revokeIdentity(auth, params.identityId)));
  route('listIdentityTokens', async ({ params }) => ({ tokens: await listIdentityTokens(auth, params.identityId) }));
  route('createIdentityToken', async ({ params, body, dates }, audit) => {
    const token = await createIdentityToken(auth, params.identityId, { name: (body as Body).name, expiresAt: dates.expiresAt });
    audit.target = `token:${token.id}`;
    return token;
  });
  route('revokeIdentityToken', async ({ params }, audit) => {
    audit.target = `token:${params.tokenId.slice(0, 200)}`;
    return revokeToken(auth, params.tokenId, params.identityId);
  });
}
