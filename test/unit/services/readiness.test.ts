/**
 * Readiness against a real token whose only session is busy (an RSA-4096 key generation holds
 * it): the test signature cannot start, so the deadline decides; while that signature still
 * waits, later probes do not queue more of them; once it is done the daemon is ready again.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPkcs11KeyStore, type KeyStore } from '../../../src/keystore';
import { createServiceDeps } from '../../../src/services/deps';
import { Readiness } from '../../../src/services/readiness';
import { openSqliteStore, type Store } from '../../../src/store';
import { createSoftHsmToken } from '../../helpers/softhsm';

describe('services/readiness', function () {
  this.timeout(120_000);
  const token = createSoftHsmToken();
  let dir: string;
  let store: Store;
  let keyStore: KeyStore;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-ready-'));
    store = await openSqliteStore(path.join(dir, 'db.sqlite'));
    keyStore = await openPkcs11KeyStore({ module: token.module, tokenLabel: token.label, pin: token.pin, sessions: 1 });
  });
  after(async () => {
    await keyStore?.close();
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is ready when the database answers and the token signs', async () => {
    const r = await new Readiness({ services: createServiceDeps({ store, keyStore }) }).check();
    assert.deepEqual(r, { ready: true, problems: [] });
  });

  it('a test signature past the deadline is not ready, and is not started again while it waits', async () => {
    const readiness = new Readiness({ services: createServiceDeps({ store, keyStore }), deadlineMs: 20, cacheMs: 0 });
    await readiness.check(); // the health key exists from here on: only its signature is left to wait
    const generation = keyStore.generateKeyInToken('RSA_4096', 'busy'); // holds the only session
    const first = await readiness.check();
    assert.deepEqual(first, { ready: false, problems: ['HSM: test signature took over 20 ms'] });
    const second = await readiness.check();
    assert.deepEqual(second.problems, ['HSM: test signature still unanswered (over 20 ms)']);
    await generation;
    let last = second;
    for (let i = 0; i < 50 && !last.ready; i++) {
      await sleep(20);
      last = await readiness.check();
    }
    assert.deepEqual(last, { ready: true, problems: [] });
  });

  it('a closed database is not ready, with a reason that names no file', async () => {
    const other = await openSqliteStore(path.join(dir, 'closed.sqlite'));
    await other.close();
    const r = await new Readiness({ services: createServiceDeps({ store: other, keyStore }) }).check();
    assert.deepEqual(r, { ready: false, problems: ['database: unreachable'] });
  });
});
