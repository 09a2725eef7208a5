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
import { identityRoutes } from './routes/identities';

export interface AppDeps {
  services: ServiceDeps;
  /** Token and client-certificate authentication, identity administration. */
  auth: AuthDeps;
  log: Logger;
  bodyLimit: number;
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
    deps.log.info({ reqId: ctx.state.reqId, method: ctx.method, path: ctx.path, status: ctx.status, ms,
      identity: ctx.state.identity?.name, ca: ctx.state.audit?.caId, serial: ctx.state.audit?.serial }, 'request');
  });
  app.use(errorsMiddleware(deps.log));

  const router = new Router();
  const store = deps.services.store;
  healthRoutes(router, deps);
  const guard = (action: string) => [auditMiddleware(store, action, deps.log), authMiddleware(deps.auth)];
  signIntermediateRoute(router, deps, guard('sign-intermediate'));
  identityRoutes(router, deps, () => guard('manage-identities'));
  app.use(router.routes());
  app.use(router.allowedMethods({
    throw: true,
    methodNotAllowed: () => new AppError('MethodNotAllowed', 'Method not allowed'),
    notImplemented: () => new AppError('MethodNotAllowed', 'Method not implemented'),
  }));
  return app;
}
