import type { Context, Next } from 'koa';
import { authenticate } from '../../auth/tokens';
import type { Store } from '../../store';

/** Contract rows 1–2, before anything else about the request is looked at. */
export function authMiddleware(store: Store) {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.state.identity = await authenticate(store, ctx.get('Authorization') || undefined);
    await next();
  };
}
