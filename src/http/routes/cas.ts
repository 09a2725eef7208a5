import type { Router } from '@koa/router';
import type { NameFields } from '../../ca/name';
import { createCa } from '../../services/create-ca';
import { caCsr } from '../../services/ca-csr';
import { importCertificate } from '../../services/import-certificate';
import { issueCaCertificate, renewCa } from '../../services/ca-certificate';
import {
  caCertificateDer, deleteCa, getCa, getCaCertificate, listCaCertificates, listCas, updateCa,
} from '../../services/ca-admin';
import { findOperation, routerPath } from '../../api/openapi';
import type { AppDeps } from '../app';
import { operation } from '../operation';

interface CreateBody {
  name: string;
  status?: 'active' | 'disabled';
  keyRef?: string;
  configuration: NameFields & { type: 'root' | 'intermediate'; maxPathLength: number; keyAlgorithm?: string };
}

/** The internal-CA lifecycle endpoints (Infisical's shapes, less projectId). */
export function caRoutes(router: Router, deps: AppDeps): void {
  const s = deps.services;
  operation<CreateBody>(router, deps, {
    operationId: 'createInternalCa', action: 'create', dates: ['configuration.notBefore', 'configuration.notAfter'],
    handle: ({ body, dates, identity, note }) => {
      const { type, maxPathLength, keyAlgorithm, ...name } = body.configuration;
      return createCa(s, {
        ...name, name: body.name, status: body.status, keyRef: body.keyRef, type, maxPathLength, keyAlgorithm,
        notBefore: dates['configuration.notBefore'], notAfter: dates['configuration.notAfter'],
      }, identity).then((ca) => {
        note.caId = ca.id as string;
        return ca;
      });
    },
  });
  operation(router, deps, { operationId: 'listInternalCas', action: 'read', handle: ({ identity }) => listCas(s, identity) });
  operation(router, deps, {
    operationId: 'getInternalCa', action: 'read', handle: ({ params, identity }) => getCa(s, params.caId, identity),
  });
  operation<{ name?: string; status?: 'active' | 'disabled' }>(router, deps, {
    operationId: 'updateInternalCa', action: 'update',
    handle: ({ params, body, identity }) => updateCa(s, params.caId, body, identity),
  });
  operation(router, deps, {
    operationId: 'deleteInternalCa', action: 'delete', handle: ({ params, identity }) => deleteCa(s, params.caId, identity),
  });
  operation(router, deps, {
    operationId: 'getInternalCaCsr', action: 'read', handle: ({ params, identity }) => caCsr(s, params.caId, identity),
  });
  operation<{ certificate: string; certificateChain: string }>(router, deps, {
    operationId: 'importInternalCaCertificate', action: 'import',
    handle: ({ params, body, identity }) => importCertificate(s, params.caId, body, identity),
  });
  operation<{ maxPathLength: number; parentCaId?: string }>(router, deps, {
    operationId: 'issueInternalCaCertificate', action: 'issue-ca-certificate', dates: ['notBefore', 'notAfter'],
    handle: ({ params, body, dates, identity, reqId, note }) => issueCaCertificate(s, params.caId, {
      notBefore: dates.notBefore, notAfter: dates.notAfter as Date, maxPathLength: body.maxPathLength,
      parentCaId: body.parentCaId,
    }, identity, reqId, note),
  });
  operation(router, deps, {
    operationId: 'getInternalCaCertificate', action: 'read',
    handle: ({ params, identity }) => getCaCertificate(s, params.caId, identity),
  });
  operation(router, deps, {
    operationId: 'renewInternalCa', action: 'issue-ca-certificate', dates: ['notAfter'],
    handle: ({ params, dates, identity, reqId, note }) =>
      renewCa(s, params.caId, { notAfter: dates.notAfter as Date }, identity, reqId, note),
  });
  operation(router, deps, {
    operationId: 'listInternalCaCertificates', action: 'read',
    handle: ({ params, identity }) => listCaCertificates(s, params.caId, identity),
  });

  // Public by design (RFC 5280 4.2.2.1 caIssuers): no token, no audit event, cacheable.
  router.get(routerPath(findOperation('getInternalCaCertificateDer').path), async (ctx) => {
    const der = await caCertificateDer(s, ctx.params.caId, ctx.params.caCertId);
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = 'application/pkix-cert';
    ctx.body = der;
  });
}
