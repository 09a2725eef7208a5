import type { Router } from '@koa/router';
import { loadDocument } from '../../api/openapi';
import type { Metrics } from '../../metrics/metrics';

/** `GET /metrics` (Prometheus text) and `GET /api/docs/openapi.json` (the served API document). */
export function operationsRoutes(router: Router, metrics: Metrics): void {
  router.get('/metrics', async (ctx) => {
    const { contentType, text } = await metrics.render();
    ctx.type = contentType;
    ctx.body = text;
  });
  router.get('/api/docs/openapi.json', (ctx) => {
    ctx.body = loadDocument();
  });
}
