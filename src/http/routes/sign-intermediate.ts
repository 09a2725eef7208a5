import type { Router } from '@koa/router';
import { signIntermediate } from '../../services/sign-intermediate';
import type { AppDeps } from '../app';
import { jsonText } from '../json-text';
import { operation, type RegisteredOperation } from '../operation';

interface Body {
  csr: string;
  notBefore?: string;
  notAfter: string;
  maxPathLength: number;
}

/** `POST /api/v1/cert-manager/ca/internal/{caId}/sign-intermediate` — the seed's operation. */
export function signIntermediateRoute(router: Router, deps: AppDeps): RegisteredOperation {
  return operation<Body>(router, deps, {
    operationId: 'signIntermediateCa',
    action: 'sign-intermediate',
    dates: ['notBefore', 'notAfter'],
    // The issuing CA's PEMs are the same for every request under it: escaped once (json-text.ts).
    handle: async ({ body, params, dates, identity, reqId, note }) => jsonText(await signIntermediate(deps.services, {
      caId: params.caId, csr: body.csr, notBefore: dates.notBefore, notAfter: dates.notAfter as Date,
      maxPathLength: body.maxPathLength, identity, reqId,
    }, note), ['certificateChain', 'issuingCaCertificate']),
  });
}
