/**
 * The direct route (src/http/direct-route.ts) answers exactly as Koa does. The same request is
 * sent twice: as it is, which takes the direct route, and with the CA id's dashes percent-encoded,
 * which only Koa serves (its router decodes the id); status, headers, body and log line must agree.
 */
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness';
import { call, type HttpResult } from '../helpers/http';
import { opensslCsr } from '../helpers/csr-factory';

const DAY = 24 * 3600 * 1000;
const path = (caId: string): string => `/api/v1/cert-manager/ca/internal/${caId}/sign-intermediate`;

/** Headers that differ between any two answers. */
const VARYING = new Set(['date', 'x-request-id', 'content-length', 'keep-alive', 'connection']);

function comparable(res: HttpResult): { status: number; headers: Record<string, string>; body: unknown } {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => { if (!VARYING.has(name)) headers[name] = value; });
  const body = { ...res.body };
  for (const k of ['reqId', 'certificate', 'serialNumber']) if (k in body) body[k] = typeof body[k];
  return { status: res.status, headers, body };
}

describe('direct route: the sign-intermediate operation without Koa answers as Koa does', function () {
  let h: Harness;
  let token: string;
  let caId: string;
  let csr: string;

  before(async () => {
    h = await startHarness();
    token = await h.token();
    caId = (await h.createRoot({ notBefore: new Date(Date.now() - 2 * DAY) })).id;
    csr = opensslCsr('P-256').csr;
  });
  after(() => h.close());

  const logLines = (reqId: string): Array<Record<string, unknown>> =>
    h.logs.map((l) => JSON.parse(l)).filter((l) => l.reqId === reqId && l.msg === 'request');

  async function both(body: unknown, opts: { token?: string; caId?: string; headers?: Record<string, string> } = {}): Promise<void> {
    const id = opts.caId ?? caId;
    const send = (p: string): Promise<HttpResult> => call(h.base, p, { body, token: opts.token ?? token, headers: opts.headers });
    const direct = await send(path(id));
    const koa = await send(path(id.replace(/-/g, '%2D')));
    assert.deepEqual(comparable(direct), comparable(koa));
    const [d, k] = [logLines(direct.headers.get('x-request-id')!), logLines(koa.headers.get('x-request-id')!)];
    assert.equal(d.length, 1);
    assert.equal(k.length, 1);
    for (const line of [d[0], k[0]]) for (const key of ['reqId', 'ms', 'time', 'pid', 'hostname', 'serial']) delete line[key];
    assert.deepEqual(d[0], k[0]);
  }

  const valid = { csr: '', notAfter: new Date(Date.now() + 30 * DAY).toISOString(), maxPathLength: 0 };

  it('a signed intermediate: 200, same headers and body shape, same log line', async () => {
    await both({ ...valid, csr });
  });

  it('each kind of refusal: 401, 400 (body), 422, 404, 400 (CSR)', async () => {
    await both({ ...valid, csr }, { token: 'hsmca_not-a-real-token' });
    await both('{"csr": ', { headers: { 'content-type': 'application/json' } });
    await both({ ...valid, csr, extra: 1 });
    await both({ ...valid, csr }, { caId: '00000000-0000-4000-8000-000000000000' });
    await both({ ...valid, csr: 'not a csr' });
  });

  it('the metrics name the route template, as the router does', async () => {
    await call(h.base, path(caId), { body: { ...valid, csr }, token });
    const text = await h.metrics.registry.metrics();
    assert.match(text, /route="\/api\/v1\/cert-manager\/ca\/internal\/:caId\/sign-intermediate",status="200"/);
  });

  it('anything else under the path stays Koa\'s: 405 for GET, a query string', async () => {
    const res = await call(h.base, path(caId), { method: 'GET', token });
    assert.equal(res.status, 405);
    const query = await call(h.base, `${path(caId)}?x=1`, { body: { ...valid, csr }, token });
    assert.equal(query.status, 200); // this operation has no query parameters: others are ignored, as before
  });
});
