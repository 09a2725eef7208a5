import type { RequestListener } from 'node:http';
import Koa from 'koa';
import { Router } from '@koa/router';
import type { Logger } from 'pino';
import type { AuthDeps } from '../auth/auth-deps';
import { Metrics } from '../metrics/metrics';
import type { ServiceDeps } from '../services/deps';
import { Readiness } from '../services/readiness';
import { observeMiddleware } from './middleware/observe';
import { errorsMiddleware } from './middleware/errors';
import { auditMiddleware } from './middleware/audit';
import { authMiddleware } from './middleware/auth';
import { AppError } from '../errors';
import { signIntermediateRoute } from './routes/sign-intermediate';
import { healthRoutes } from './routes/health';
import { metricsRoute } from './routes/metrics';
import { caRoutes } from './routes/cas';
import { docsRoute } from './routes/docs';
import { certificateRoutes } from './routes/certificates';
import { identityRoutes } from './routes/identities';
import type { HttpMiddleware } from './context';
import { withDirectRoutes } from './direct-route';
import type { RegisteredOperation } from './operation';

export interface AppDeps {
  services: ServiceDeps;
  /** Token and client-certificate authentication, identity administration. */
  auth: AuthDeps;
  log: Logger;
  bodyLimit: number;
  /** Per-identity request rate; absent or 0 per second: no limit. */
  rateLimit?: { perSecond: number; burst: number };
  /** Default: a fresh registry (the runtime passes the one its key store reports to). */
  metrics?: Metrics;
  /** Default: checks the services' store, key store and CAs. */
  readiness?: Readiness;
}

/**
 * Every route the daemon serves; each is an operation of the served document. `direct` receives
 * the operations worth serving without Koa's shell (see `direct-route.ts`).
 */
export function buildRouter(
  deps: AppDeps, ops: { metrics: Metrics; readiness: Readiness } = defaults(deps), direct: RegisteredOperation[] = [],
): Router {
  // Strict: '/x/' is not '/x'. Only documented paths are served, exactly.
  const router = new Router({ strict: true });
  healthRoutes(router, ops.readiness);
  metricsRoute(router, ops.metrics);
  docsRoute(router);
  direct.push(signIntermediateRoute(router, deps));
  caRoutes(router, deps);
  certificateRoutes(router, deps);
  const store = deps.services.store;
  identityRoutes(router, deps, () => [auditMiddleware(store, 'manage-identities', deps.log), authMiddleware(deps.auth)]);
  return router;
}

function defaults(deps: AppDeps): { metrics: Metrics; readiness: Readiness } {
  return {
    metrics: deps.metrics ?? new Metrics(),
    readiness: deps.readiness ?? new Readiness({ services: deps.services, log: deps.log }),
  };
}

/** The middleware every request passes first, outermost first. */
function outerMiddleware(deps: AppDeps, ops: { metrics: Metrics; readiness: Readiness }): HttpMiddleware[] {
  return [
    observeMiddleware(deps.log, ops.metrics),
    async (ctx, next) => {
      await next();
      // Draining for shutdown: no keep-alive, so the client opens its next request elsewhere.
      if (ops.readiness.stopping) ctx.set('Connection', 'close');
    },
    errorsMiddleware(deps.log),
  ];
}

function assemble(deps: AppDeps): { app: Koa; outer: HttpMiddleware[]; direct: RegisteredOperation[] } {
  const ops = defaults(deps);
  const app = new Koa({ proxy: false });
  app.silent = true; // errors are rendered and logged by errorsMiddleware, not printed by Koa
  const outer = outerMiddleware(deps, ops);
  for (const m of outer) app.use(m);
  const direct: RegisteredOperation[] = [];
  const router = buildRouter(deps, ops, direct);
  app.use(router.routes());
  app.use(router.allowedMethods({
    throw: true,
    methodNotAllowed: () => new AppError('MethodNotAllowed', 'Method not allowed'),
    notImplemented: () => new AppError('MethodNotAllowed', 'Method not implemented'),
  }));
  return { app, outer, direct };
}

/** Builds the Koa application alone; it does not listen (tests drive `app.callback()` directly too). */
export function createApp(deps: AppDeps): Koa {
  return assemble(deps).app;
}

/** What the server runs: the direct route for the hot operation, Koa for everything else. */
export function createListener(deps: AppDeps): RequestListener {
  const { app, outer, direct } = assemble(deps);
  return withDirectRoutes(direct, outer, app.callback(), deps.log);
}
