import type { Router } from '@koa/router';
import { AppError } from '../../errors';
import type { Readiness } from '../../services/readiness';
import { errorBody } from '../middleware/errors';

/**
 * Unauthenticated liveness and readiness probes. A not-ready answer (the seed's error shape,
 * each problem in words an operator can act on: never a PIN, a stack or a library message) is
 * rendered here rather than thrown: it is an expected state, logged once when it changes, not
 * an error per probe.
 */
export function healthRoutes(router: Router, readiness: Readiness): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const { ready, problems } = await readiness.check();
    if (ready) {
      ctx.body = { status: 'ready' };
      return;
    }
    ctx.status = 503;
    ctx.set('Retry-After', '5');
    ctx.body = errorBody(ctx.state.reqId, new AppError('NotReady', `Not ready: ${problems.join('; ')}`));
  });
}
