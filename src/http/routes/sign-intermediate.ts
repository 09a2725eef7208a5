import crypto from 'node:crypto';
import type { Router, RouterMiddleware } from '@koa/router';
import { compileRequest, findOperation, routerPath } from '../../api/openapi';
import { validateRequest } from '../validate';
import { readJsonBody } from '../middleware/json-body';
import { signIntermediate } from '../../services/sign-intermediate';
import type { AppDeps } from '../app';
import type { AuditState } from '../middleware/audit';

const OPERATION = 'signIntermediateCa';

interface Body {
  csr: string;
  notBefore?: string;
  notAfter: string;
  maxPathLength: number;
}

/** `POST /api/v1/cert-manager/ca/internal/{caId}/sign-intermediate` — the seed's one operation. */
export function signIntermediateRoute(router: Router, deps: AppDeps, guard: RouterMiddleware[]): void {
  const validators = compileRequest(OPERATION);
  const path = routerPath(findOperation(OPERATION).path);
  router.post(path, ...guard, async (ctx) => {
    const raw = await readJsonBody(ctx, deps.bodyLimit);
    const audit: AuditState = ctx.state.audit;
    if (typeof (raw as Partial<Body> | null)?.csr === 'string') {
      audit.csrSha256 = crypto.createHash('sha256').update((raw as Body).csr).digest('hex');
    }
    const { body, dates } = validateRequest<Body>(validators, ctx.params, raw, ['notBefore', 'notAfter']);
    ctx.body = await signIntermediate(deps.services, {
      caId: ctx.params.caId,
      csr: body.csr,
      notBefore: dates.notBefore,
      notAfter: dates.notAfter as Date,
      maxPathLength: body.maxPathLength,
      identity: ctx.state.identity,
      reqId: ctx.state.reqId,
    }, audit);
  });
}
