/**
 * Probes, metrics and the served document, in-process on a real SoftHSM token and SQLite file,
 * through the typed client generated from the served OpenAPI document. The token is made
 * unavailable the way an HSM administrator can: the user PIN changes and every session drops;
 * a refused PIN is never tried again (that is how real tokens get locked).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDocument } from '../../src/api/openapi';
import { apiClient, type ApiClient } from '../helpers/api-client';
import { opensslCsr } from '../helpers/csr-factory';
import { startHarness, type Harness } from '../helpers/harness';
import { scrape, typeOf, valueOf } from '../helpers/prometheus';
import { TokenControl } from '../helpers/token-control';

const SIGN_PATH = '/api/v1/cert-manager/ca/internal/{caId}/sign-intermediate';

/** Probes /readyz until it answers `status` (the result is cached for a second); bounded tries. */
async function readyzUntil(api: ApiClient, status: number): Promise<{ status: number; message?: string }> {
  let last = { status: 0, message: undefined as string | undefined };
  for (let i = 0; i < 100; i++) {
    const r = await api.GET('/readyz');
    last = { status: r.response.status, message: r.error?.message };
    if (last.status === status) return last;
    await sleep(100);
  }
  assert.fail(`/readyz never answered ${status}; last ${JSON.stringify(last)}`);
}

describe('operations: /healthz, /readyz, /metrics, /api/docs/openapi.json', function () {
  this.timeout(120_000);
  let h: Harness;
  let api: ApiClient;

  before(async () => {
    h = await startHarness();
    api = apiClient(h.base);
  });
  after(() => h?.close());

  it('/healthz and /readyz answer 200, unauthenticated', async () => {
    const live = await api.GET('/healthz');
    assert.deepEqual(live.data, { status: 'ok' });
    const ready = await api.GET('/readyz');
    assert.deepEqual(ready.data, { status: 'ready' });
  });

  it('a storm of 50 concurrent probes costs the token one test signature', async () => {
    await sleep(1100); // past the cached result
    const before = valueOf(await scrape(h.base), 'hsmca_hsm_sign_duration_seconds');
    const answers = await Promise.all(Array.from({ length: 50 }, () => api.GET('/readyz')));
    assert.ok(answers.every((a) => a.response.status === 200));
    const signatures = valueOf(await scrape(h.base), 'hsmca_hsm_sign_duration_seconds') - before;
    // One, or two if the storm outlasted the one-second cache on a very slow machine.
    assert.ok(signatures >= 1 && signatures <= 2, `${signatures} test signatures for 50 probes`);
  });

  it('/metrics parses as Prometheus text and its counters move with traffic', async () => {
    const token = await h.token();
    const root = await h.createRoot();
    const signer = apiClient(h.base, token);
    const { csr } = opensslCsr('P-256');
    const notAfter = new Date(Date.now() + 86400_000).toISOString();
    const route = '/api/v1/cert-manager/ca/internal/:caId/sign-intermediate';
    const before = await scrape(h.base);

    for (let i = 0; i < 5; i++) {
      const r = await signer.POST(SIGN_PATH, { params: { path: { caId: root.id } }, body: { csr, notAfter } });
      assert.equal(r.response.status, 200);
    }
    const bad = await signer.POST(SIGN_PATH, { params: { path: { caId: root.id } }, body: { csr: 'nope', notAfter } });
    assert.equal(bad.response.status, 400);

    const after = await scrape(h.base);
    const delta = (name: string, labels: Record<string, string> = {}): number => valueOf(after, name, labels) - valueOf(before, name, labels);
    assert.equal(delta('hsmca_certificates_issued_total', { ca: root.id }), 5);
    assert.equal(delta('hsmca_http_request_duration_seconds', { route, status: '200', method: 'POST' }), 5);
    assert.equal(delta('hsmca_http_request_duration_seconds', { route, status: '400' }), 1);
    assert.ok(delta('hsmca_hsm_sign_duration_seconds', { mechanism: 'CKM_ECDSA' }) >= 5);
    // Each issuance's row and audit event, and the refusal's audit event, were committed in batches.
    assert.ok(delta('hsmca_group_commit_batch_size') >= 5, 'group-commit batches observed');
    for (const name of ['hsmca_hsm_sessions_in_use', 'hsmca_hsm_session_waiters', 'hsmca_hsm_calls_hung', 'nodejs_eventloop_lag_p99_seconds']) {
      assert.equal(typeOf(after, name), 'GAUGE', name);
    }
    assert.equal(typeOf(after, 'hsmca_hsm_errors_total'), 'COUNTER');
    assert.equal(typeOf(after, 'hsmca_http_request_duration_seconds'), 'HISTOGRAM');
  });

  it('serves the merged OpenAPI document the typed client was generated from', async () => {
    const r = await api.GET('/api/docs/openapi.json');
    assert.deepEqual(r.data, JSON.parse(JSON.stringify(loadDocument())));
    assert.ok(Object.keys(r.data?.paths ?? {}).includes('/readyz'));
  });

  // Last but one: the token stays down from here on (a refused PIN needs the operator and a restart).
  it('/readyz says why when the token refuses the PIN, and probing never tries the PIN again', async () => {
    const control = new TokenControl(h.hsm);
    const pinErrors = async (): Promise<number> => valueOf(await scrape(h.base), 'hsmca_hsm_errors_total', { code: 'CKR_PIN_INCORRECT' });
    const errorsBefore = await pinErrors();
    control.setUserPin(h.hsm.pin, `${h.hsm.pin}-changed`);
    control.dropSessions();

    const down = await readyzUntil(api, 503);
    assert.equal(down.message, 'Not ready: HSM: HSM login failed: PIN incorrect');
    const s = await scrape(h.base);
    assert.equal(valueOf(s, 'hsmca_hsm_errors_total', { code: 'CKR_PIN_INCORRECT' }) - errorsBefore, 1);
    assert.ok(valueOf(s, 'hsmca_hsm_errors_total', { code: 'CKR_SESSION_HANDLE_INVALID' }) > 0);
    for (let i = 0; i < 3; i++) {
      await sleep(1100); // past the cached result: each probe checks afresh
      assert.equal((await api.GET('/readyz')).response.status, 503);
    }
    assert.equal(await pinErrors() - errorsBefore, 1, 'one login with the refused PIN, never another');
  });

  it('once shutting down, /readyz answers 503 so balancers stop sending', async () => {
    h.readiness.markStopping();
    const r = await api.GET('/readyz');
    assert.equal(r.response.status, 503);
    assert.equal(r.response.headers.get('retry-after'), '5');
    assert.equal(r.error?.message, 'Not ready: shutting down');
  });
});
