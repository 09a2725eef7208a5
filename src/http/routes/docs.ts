import type { Router } from '@koa/router';
import { findOperation, loadDocument } from '../../api/openapi';

/** `GET /api/docs/openapi.json`: one document for everything the daemon exposes. */
export function docsRoute(router: Router): void {
  const json = JSON.stringify(loadDocument());
  router.get(findOperation('getOpenApiDocument').path, (ctx) => {
    ctx.type = 'application/json';
    ctx.body = json;
  });
}
