import type { Router } from '@koa/router';
import type { AppDeps } from '../app';
import { AppError } from '../../errors';

/** Unauthenticated liveness and readiness probes. */
export function healthRoutes(router: Router, deps: AppDeps): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await deps.services.store.countCertificates('-');
      await deps.services.keyStore.health();
    } catch (e) {
      throw new AppError('Unavailable', 'not ready', undefined, { cause: e });
    }
    ctx.body = { status: 'ready' };
  });
}
