import Koa from 'koa';
import { Router } from '@koa/router';
import type { Logger } from 'pino';
import type { ServiceDeps } from '../services/deps';
import { Metrics } from '../metrics/metrics';
import { Readiness } from '../services/readiness';
import { observeMiddleware } from './middleware/observe';
import { errorsMiddleware } from './middleware/errors';
import { auditMiddleware } from './middleware/audit';
import { authMiddleware } from './middleware/auth';
import { AppError } from '../errors';
import { signIntermediateRoute } from './routes/sign-intermediate';
import { healthRoutes } from './routes/health';
import { operationsRoutes } from './routes/operations';

export interface AppDeps {
  services: ServiceDeps;
  log: Logger;
  bodyLimit: number;
  /** Default: a fresh registry (the runtime passes the one its key store reports to). */
  metrics?: Metrics;
  /** Default: checks the services' store and key store. */
  readiness?: Readiness;
}

/** Builds the Koa application; it does not listen (tests drive `app.callback()` directly too). */
export function createApp(deps: AppDeps): Koa {
  const metrics = deps.metrics ?? new Metrics();
  const readiness = deps.readiness ?? new Readiness({ store: deps.services.store, keyStore: deps.services.keyStore, log: deps.log });
  const app = new Koa({ proxy: false });
  app.silent = true; // errors are rendered and logged by errorsMiddleware, not printed by Koa
  app.use(observeMiddleware(deps.log, metrics));
  app.use(async (ctx, next) => {
    await next();
    // Draining for shutdown: no keep-alive, so the client opens its next request elsewhere.
    if (readiness.stopping) ctx.set('Connection', 'close');
  });
  app.use(errorsMiddleware(deps.log));

  const router = new Router();
  const store = deps.services.store;
  healthRoutes(router, readiness);
  operationsRoutes(router, metrics);
  signIntermediateRoute(router, deps, [auditMiddleware(store, 'sign-intermediate', deps.log), authMiddleware(store)]);
  app.use(router.routes());
  app.use(router.allowedMethods({
    throw: true,
    methodNotAllowed: () => new AppError('MethodNotAllowed', 'Method not allowed'),
    notImplemented: () => new AppError('MethodNotAllowed', 'Method not implemented'),
  }));
  return app;
}
