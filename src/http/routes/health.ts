import type { Router } from '@koa/router';
import type { AppDeps } from '../app';
import { readiness } from '../../services/readiness';

/**
 * Unauthenticated liveness and readiness probes. Not part of the seed API: readiness answers
 * `{status: 'ready'}` or 503 `{status: 'not-ready', problems: [...]}`, saying why in words an
 * operator can act on (never a PIN, a stack or a library message).
 */
export function healthRoutes(router: Router, deps: AppDeps): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const { ready, problems } = await readiness(deps.services);
    if (!ready) {
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      ctx.body = { status: 'not-ready', problems };
      return;
    }
    ctx.body = { status: 'ready' };
  });
}
