import type { Router } from '@koa/router';
import type { RevocationReason } from '../../ca/crl';
import { findOperation, routerPath } from '../../api/openapi';
import { caCrls, crlDer } from '../../services/crl';
import { getCertificate, listIssuedCertificates, revokeCertificate } from '../../services/revocation';
import type { AppDeps } from '../app';
import { operation } from '../operation';

/** Issued certificates, revocation, and CRLs (the DER one public, as relying parties fetch it). */
export function certificateRoutes(router: Router, deps: AppDeps): void {
  const s = deps.services;
  operation(router, deps, {
    operationId: 'getCertificate', action: 'read', handle: ({ params, identity }) => getCertificate(s, params.id, identity),
  });
  operation<{ revocationReason: RevocationReason }>(router, deps, {
    operationId: 'revokeCertificate', action: 'revoke',
    handle: ({ params, body, identity, note }) => revokeCertificate(s, params.id, body.revocationReason, identity, note),
  });
  operation(router, deps, {
    operationId: 'listIssuedCertificates', action: 'read',
    handle: ({ params, query, identity }) => listIssuedCertificates(s, params.caId,
      { offset: query.offset as number, limit: query.limit as number }, identity),
  });
  operation(router, deps, {
    operationId: 'listCaCrls', action: 'read', handle: ({ params, identity }) => caCrls(s, params.caId, identity),
  });
  router.get(routerPath(findOperation('getCrlDer').path), async (ctx) => {
    const der = await crlDer(s, ctx.params.crlId);
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'application/pkix-crl';
    ctx.body = der;
  });
}
