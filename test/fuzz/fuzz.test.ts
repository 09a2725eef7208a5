/**
 * The fast seed of the hostile-input campaign (`npm run fuzz` runs the long one against the
 * built daemon): generated requests over the whole surface never get a 500, a hang or a body
 * outside the document, and no certificate row appears but for a 200.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { startHarness, type Harness } from '../helpers/harness';
import { call } from '../helpers/http';
import { checkResponse, issued } from './invariants';
import { requestArb, type FuzzContext, type FuzzRequest } from './requests';
import { send } from './send';
import { fuzzContext } from './setup';

const FIXTURES = path.resolve(__dirname, '../fixtures/fuzz');
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);

describe('hostile input (fast seed)', function () {
  this.timeout(300_000);
  let h: Harness;
  let ctx: FuzzContext;
  let base: URL;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  before(async () => {
    h = await startHarness();
    const ca = await h.createRoot({ maxPathLength: 2 });
    const token = await h.token([{ action: 'sign-intermediate', ca: ca.id }, { action: 'read', ca: ca.id }]);
    ctx = await fuzzContext(ca.id, token, async (t, csr) => (await call(h.base,
      `/api/v1/cert-manager/ca/internal/${ca.id}/sign-intermediate`, { token: t, body: { csr, notAfter: '2030-01-01T00:00:00Z' } })).body.serialNumber);
    base = new URL(h.base);
  });
  after(async () => {
    agent.destroy();
    await h.close();
  });

  const run = async (req: FuzzRequest): Promise<number> => {
    const res = await send(base, agent, req);
    if (!res) return 0;
    checkResponse(req, res);
    return issued(req, res);
  };

  it(`${RUNS} generated requests: allowed statuses, documented bodies, rows only for 200s`, async () => {
    const before = await h.store.countCertificates();
    let ok = 0;
    await fc.assert(fc.asyncProperty(requestArb(ctx), async (req) => {
      ok += await run(req);
    }), { numRuns: RUNS, seed: SEED });
    assert.equal(await h.store.countCertificates() - before, ok, 'certificate rows = successful issuances');
    assert.ok(ok > 0, 'some generated requests were valid and issued');
    assert.equal((await call(h.base, '/healthz', { raw: true })).status, 200);
  });

  it('replays every saved failing case (test/fixtures/fuzz)', async () => {
    const files = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')) : [];
    for (const f of files) {
      const req = JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as FuzzRequest;
      req.path = req.path.replace('{caId}', ctx.caId);
      if (req.headers.authorization === 'Bearer {token}') req.headers.authorization = `Bearer ${ctx.token}`;
      await run(req);
    }
  });
});
