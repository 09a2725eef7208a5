import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createListener } from '../../src/http/app';
import { openPkcs11KeyStore } from '../../src/keystore';
import type { KeyInspector, KeyStore } from '../../src/keystore';
import { openSqliteStore, type Store } from '../../src/store';
import { createServiceDeps, type ServiceDeps } from '../../src/services/deps';
import { createCa, type CreateCaInput } from '../../src/services/create-ca';
import { LOCAL_OPERATOR } from '../../src/services/ca-access';
import crypto from 'node:crypto';
import { createToken } from '../../src/auth/tokens';
import { createAuthDeps, type AuthDeps } from '../../src/auth/auth-deps';
import type { Grant } from '../../src/auth/identity';
import { createIdentity, findIdentity } from '../../src/services/identities';
import { DEFAULT_AUDIT_KEY_LABEL, openAuditSigner } from '../../src/audit/audit-key';
import { signCheckpoint, type Checkpoint } from '../../src/audit/checkpoint';
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
  auth: AuthDeps;
  /** The token pepper this harness runs with (tests check it never reaches the database or logs). */
  pepper: string;
  /** Every log line the app wrote (level trace and up). */
  logs: string[];
  /** The app's metrics; the key store reports its signatures and errors to them. */
  metrics: Metrics;
  readiness: Readiness;
  dbFile: string;
  /** A new identity `t<n>` with `grants` (default `*:*`) and one token, expiring at `expiresAt` (past is fine). */
  token(grants?: Grant[], expiresAt?: Date): Promise<string>;
  /** Signs an audit checkpoint with the audit key in this harness's token. */
  checkpoint(): Promise<Checkpoint | undefined>;
  createRoot(input?: Partial<CreateCaInput>): Promise<{ id: string; name: string; keyRef: string }>;
  close(): Promise<void>;
}

let counter = 0;
const YEAR = 365 * 24 * 3600 * 1000;

/** `publicBaseUrl: true` points the caIssuers URLs at this harness's own server. */
export async function startHarness(opts: { publicBaseUrl?: string | true; bodyLimit?: number } = {}): Promise<Harness> {
  const hsm = createSoftHsmToken();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-test-'));
  const dbFile = path.join(dir, 'hsmca.db');
  const store = await openSqliteStore(dbFile);
  const metrics = new Metrics();
  const keyStore = await openPkcs11KeyStore({
    module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin, sessions: 4, events: metrics.keyStoreEvents,
  });
  metrics.watchSessions(keyStore);
  const pepper = crypto.randomBytes(32).toString('hex');
  const auth = createAuthDeps(store, pepper);
  const logs: string[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const publicBaseUrl = opts.publicBaseUrl === true ? base : opts.publicBaseUrl;
  const services = createServiceDeps({ store, keyStore, publicBaseUrl });
  const readiness = new Readiness({ services, log });
  server.on('request', createListener({ services, auth, log, bodyLimit: opts.bodyLimit ?? 64 * 1024, metrics, readiness }));
  return {
    base, hsm, store, keyStore, services, auth, pepper, logs, metrics, readiness, dbFile,
    async token(grants = [{ action: '*', ca: '*' }], expiresAt) {
      const { name } = await createIdentity(auth, { name: `t${++counter}`, grants });
      return (await createToken(auth, await findIdentity(auth, name), { expiresAt })).token;
    },
    async checkpoint() {
      return signCheckpoint(store, await openAuditSigner(keyStore, DEFAULT_AUDIT_KEY_LABEL));
    },
    async createRoot(input = {}) {
      const ca = await createCa(services, {
        name: `root-${++counter}-${Date.now()}`, type: 'root', keyAlgorithm: 'EC_prime256v1', commonName: 'Test Root CA',
        organization: 'hsmca tests', notAfter: new Date(Date.now() + 10 * YEAR), maxPathLength: -1, ...input,
      }, LOCAL_OPERATOR);
      return ca as { id: string; name: string; keyRef: string };
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
