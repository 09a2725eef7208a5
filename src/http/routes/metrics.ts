import type { Router } from '@koa/router';
import { findOperation } from '../../api/openapi';
import type { Metrics } from '../../metrics/metrics';

/** `GET /metrics`: Prometheus text exposition of this process's registry. */
export function metricsRoute(router: Router, metrics: Metrics): void {
  router.get(findOperation('metrics').path, async (ctx) => {
    const { contentType, text } = await metrics.render();
    ctx.type = contentType;
    ctx.body = text;
  });
}
