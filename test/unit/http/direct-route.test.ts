/**
 * The direct route's own edges, over a real server: what it matches, and that a failure outside
 * the error middleware (in the outermost middleware, or while responding) is still a 500 in the
 * seed's shape, never an unhandled rejection.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { HttpMiddleware } from '../../../src/http/context';
import { withDirectRoutes } from '../../../src/http/direct-route';
import { call } from '../../helpers/http';

const TEMPLATE = '/api/v1/cert-manager/ca/internal/:caId/sign-intermediate';
const path = (caId: string): string => TEMPLATE.replace(':caId', caId);

async function serve(chain: HttpMiddleware[]): Promise<{ base: string; fallbacks: string[]; close(): Promise<void> }> {
  const fallbacks: string[] = [];
  const listener = withDirectRoutes([{ method: 'POST', template: TEMPLATE, chain }], [], (req, res) => {
    fallbacks.push(req.url ?? '');
    res.writeHead(204).end();
  }, pino({ level: 'silent' }));
  const server = http.createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fallbacks,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('direct route (unit)', () => {
  it('takes only the exact method and path with a plain id; the rest falls back', async () => {
    const seen: string[] = [];
    const s = await serve([async (ctx) => { seen.push(ctx.params.caId); ctx.body = { ok: true }; }]);
    try {
      await call(s.base, path('abc-1.2_3~'), { method: 'POST', raw: true });
      for (const p of [path('a%2Db'), `${path('abc')}?x=1`, `${path('abc')}/`, path('ABC').toUpperCase()]) {
        await call(s.base, p, { method: 'POST', raw: true });
      }
      await call(s.base, path('abc'), { method: 'GET', raw: true });
      assert.deepEqual(seen, ['abc-1.2_3~']);
      assert.equal(s.fallbacks.length, 5);
    } finally {
      await s.close();
    }
  });

  it('a middleware that throws past every handler: 500 in the seed shape', async () => {
    const s = await serve([async () => { throw new Error('boom'); }]);
    try {
      const res = await call(s.base, path('abc'), { method: 'POST' });
      assert.equal(res.status, 500);
      assert.equal(res.body.message, 'Something went wrong');
    } finally {
      await s.close();
    }
  });

  it('a body that cannot be written as JSON: 500 in the seed shape, not an unhandled rejection', async () => {
    const s = await serve([async (ctx) => { ctx.body = { n: 1n }; }]);
    try {
      const res = await call(s.base, path('abc'), { method: 'POST' });
      assert.equal(res.status, 500);
      assert.equal(res.body.error, 'InternalServerError');
    } finally {
      await s.close();
    }
  });
});
