import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp } from '../../src/http/app';
import { openPkcs11KeyStore } from '../../src/keystore';
import type { KeyInspector, KeyStore } from '../../src/keystore';
import { openSqliteStore, type Store } from '../../src/store';
import { createServiceDeps, type ServiceDeps } from '../../src/services/deps';
import { createRootCa, type CreateRootInput } from '../../src/services/create-root-ca';
import { createToken } from '../../src/auth/tokens';
import type { Grant } from '../../src/auth/identity';
import { Metrics } from '../../src/metrics/metrics';
import { Readiness } from '../../src/services/readiness';
import { createSoftHsmToken, type SoftHsmToken } from './softhsm';

/** The daemon's whole stack in this process, on a fresh SoftHSM token and SQLite file. */
export interface Harness {
  base: string;
  hsm: SoftHsmToken;
  store: Store;
  keyStore: KeyStore & KeyInspector;
  services: ServiceDeps;
  /** The app's metrics; the key store reports its signatures and errors to them. */
  metrics: Metrics;
  readiness: Readiness;
  dbFile: string;
  token(grants?: Grant[], expiresAt?: Date): Promise<string>;
  createRoot(input?: Partial<CreateRootInput>): Promise<{ id: string; name: string }>;
  close(): Promise<void>;
}

let counter = 0;
const YEAR = 365 * 24 * 3600 * 1000;

export async function startHarness(opts: { publicBaseUrl?: string; bodyLimit?: number } = {}): Promise<Harness> {
  const hsm = createSoftHsmToken();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-test-'));
  const dbFile = path.join(dir, 'hsmca.db');
  const store = await openSqliteStore(dbFile);
  const metrics = new Metrics();
  const keyStore = await openPkcs11KeyStore({
    module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin, sessions: 4, events: metrics.keyStoreEvents,
  });
  metrics.watchSessions(keyStore);
  const services = createServiceDeps({ store, keyStore, publicBaseUrl: opts.publicBaseUrl });
  const log = pino({ level: 'silent' });
  const readiness = new Readiness({ store, keyStore, log });
  const app = createApp({ services, log, bodyLimit: opts.bodyLimit ?? 64 * 1024, metrics, readiness });
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base, hsm, store, keyStore, services, metrics, readiness, dbFile,
    async token(grants = [{ action: '*', ca: '*' }], expiresAt) {
      return (await createToken(store, { name: `t${++counter}`, grants, expiresAt })).token;
    },
    async createRoot(input = {}) {
      const ca = await createRootCa(services, {
        name: `root-${++counter}-${Date.now()}`, keyAlgorithm: 'EC_prime256v1', commonName: 'Test Root CA',
        organization: 'hsmca tests', notAfter: new Date(Date.now() + 10 * YEAR), maxPathLength: -1, ...input,
      });
      return ca as { id: string; name: string };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await keyStore.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
