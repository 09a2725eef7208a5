import Koa from 'koa';
import { Router } from '@koa/router';
import type { Logger } from 'pino';
import type { AuthDeps } from '../auth/auth-deps';
import type { ServiceDeps } from '../services/deps';
import { newRequestId } from './request-id';
import { errorsMiddleware } from './middleware/errors';
import { auditMiddleware } from './middleware/audit';
import { authMiddleware } from './middleware/auth';
import { AppError } from '../errors';
import { signIntermediateRoute } from './routes/sign-intermediate';
import { healthRoutes } from './routes/health';
import { caRoutes } from './routes/cas';
import { docsRoute } from './routes/docs';
import { certificateRoutes } from './routes/certificates';
import { identityRoutes } from './routes/identities';

export interface AppDeps {
  services: ServiceDeps;
  /** Token and client-certificate authentication, identity administration. */
  auth: AuthDeps;
  log: Logger;
  bodyLimit: number;
  /** Per-identity request rate; absent or 0 per second: no limit. */
  rateLimit?: { perSecond: number; burst: number };
}

/** Every route the daemon serves; each (but the probes) is an operation of the served document. */
export function buildRouter(deps: AppDeps): Router {
  // Strict: '/x/' is not '/x'. Only documented paths are served, exactly.
  const router = new Router({ strict: true });
  healthRoutes(router, deps);
  docsRoute(router);
  signIntermediateRoute(router, deps);
  caRoutes(router, deps);
  certificateRoutes(router, deps);
  const store = deps.services.store;
  identityRoutes(router, deps, () => [auditMiddleware(store, 'manage-identities', deps.log), authMiddleware(deps.auth)]);
  return router;
}

/** Builds the Koa application; it does not listen (tests drive `app.callback()` directly too). */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true; // errors are rendered and logged by errorsMiddleware, not printed by Koa
  app.use(async (ctx, next) => {
    ctx.state.reqId = newRequestId();
    const started = process.hrtime.bigint();
    await next();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // The route template, not the path: a path can carry whatever a client typed, secrets included.
    deps.log.info({ reqId: ctx.state.reqId, method: ctx.method, route: ctx._matchedRoute ?? '(unmatched)', status: ctx.status,
      ms, identity: ctx.state.identity?.name, ca: ctx.state.audit?.caId, serial: ctx.state.audit?.serial }, 'request');
  });
  app.use(errorsMiddleware(deps.log));

  const router = buildRouter(deps);
  app.use(router.routes());
  app.use(router.allowedMethods({
    throw: true,
    methodNotAllowed: () => new AppError('MethodNotAllowed', 'Method not allowed'),
    notImplemented: () => new AppError('MethodNotAllowed', 'Method not implemented'),
  }));
  return app;
}
