/**
 * One OpenAPI document for everything the daemon exposes: served at /api/docs/openapi.json,
 * the seed's operation inside it unchanged, every route documented and every documented
 * operation routed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import pino from 'pino';
import YAML from 'yaml';
import { SEED_FILE, loadDocument } from '../../src/api/openapi';
import { buildRouter } from '../../src/http/app';
import { startHarness, type Harness } from '../helpers/harness';
import { call } from '../helpers/http';


describe('served OpenAPI document', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('is served as JSON and is the merged document', async () => {
    const res = await call(h.base, '/api/docs/openapi.json');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, JSON.parse(JSON.stringify(loadDocument())));
  });

  it('carries the seed operation exactly as the seed defines it', () => {
    const seed = YAML.parse(fs.readFileSync(SEED_FILE, 'utf8'));
    const p = '/api/v1/cert-manager/ca/internal/{caId}/sign-intermediate';
    assert.deepEqual(loadDocument().paths[p], seed.paths[p]);
  });

  it('documents every route, and routes every documented operation', () => {
    const router = buildRouter({ services: h.services, auth: h.auth, log: pino({ level: 'silent' }), bodyLimit: 65536 });
    const routed = new Set<string>();
    for (const layer of router.stack) {
      for (const m of layer.methods) {
        routed.add(`${m} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`);
      }
    }
    const documented = new Set<string>();
    for (const [p, methods] of Object.entries(loadDocument().paths)) {
      for (const m of Object.keys(methods)) documented.add(`${m.toUpperCase()} ${p}`);
    }
    const undocumented = [...routed].filter((r) => !documented.has(r)
      && !(r.startsWith('HEAD ') && documented.has(r.replace('HEAD', 'GET'))));
    assert.deepEqual(undocumented, []);
    assert.deepEqual([...documented].filter((d) => !routed.has(d)), []);
  });
});
