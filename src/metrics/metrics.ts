/**
 * The daemon's Prometheus metrics, one registry per runtime (tests run several stacks in one
 * process and each must count only its own traffic). Served at `GET /metrics`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KeyStoreEvents, SessionUsage } from '../keystore/keystore';
import { clusterScrape } from './cluster';
import { groupCommitBatchSize } from './group-commit';

/** Seconds; finer than prom-client's defaults at the low end, where a P-256 issuance lands. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SIGN_BUCKETS = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class Metrics {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly certificatesIssued: Counter<'ca'>;
  readonly hsmSignDuration: Histogram<'mechanism'>;
  readonly hsmErrors: Counter<'code'>;
  private sessions: SessionUsage | undefined;
  private scrapeCluster: (() => Promise<string>) | undefined;

  constructor() {
    const registers = [this.registry];
    // process_* and nodejs_* (event-loop delay: nodejs_eventloop_lag_*; heap, GC, handles).
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: 'hsmca_http_request_duration_seconds', help: 'HTTP request duration by route template and status',
      labelNames: ['method', 'route', 'status'], buckets: REQUEST_BUCKETS, registers,
    });
    this.certificatesIssued = new Counter({
      name: 'hsmca_certificates_issued_total', help: 'Certificates issued, by issuing CA id', labelNames: ['ca'], registers,
    });
    this.hsmSignDuration = new Histogram({
      name: 'hsmca_hsm_sign_duration_seconds', help: 'Time of C_Sign on a session, by PKCS#11 mechanism',
      labelNames: ['mechanism'], buckets: SIGN_BUCKETS, registers,
    });
    this.hsmErrors = new Counter({
      name: 'hsmca_hsm_errors_total', help: 'PKCS#11 errors returned by the token, by CKR_ name',
      labelNames: ['code'], registers,
    });
    const usage = (): ReturnType<SessionUsage['sessionUsage']> | undefined => this.sessions?.sessionUsage();
    new Gauge({
      name: 'hsmca_hsm_sessions_in_use', help: 'PKCS#11 operation sessions leased right now', registers,
      collect() { this.set(usage()?.inUse ?? 0); },
    });
    new Gauge({
      name: 'hsmca_hsm_session_waiters', help: 'Operations waiting for a free PKCS#11 session', registers,
      collect() { this.set(usage()?.waiting ?? 0); },
    });
    new Gauge({
      name: 'hsmca_hsm_calls_hung', help: 'PKCS#11 calls given up on after the time limit that have not returned yet', registers,
      collect() { this.set(usage()?.hung ?? 0); },
    });
    this.registry.registerMetric(groupCommitBatchSize);
  }

  /** The observer to pass to the key store when opening it. */
  readonly keyStoreEvents: KeyStoreEvents = {
    signed: ({ mechanism, seconds }) => this.hsmSignDuration.observe({ mechanism }, seconds),
    failed: ({ code }) => this.hsmErrors.inc({ code }),
  };

  /** Reads session usage from the key store at scrape time (when it has that ability). */
  watchSessions(keyStore: object): void {
    if (typeof (keyStore as Partial<SessionUsage>).sessionUsage === 'function') this.sessions = keyStore as SessionUsage;
  }

  /** In a cluster worker: scrapes answer with every worker's metrics, aggregated by the primary. */
  shareWithCluster(): void {
    this.scrapeCluster = clusterScrape(this.registry);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    const text = this.scrapeCluster ? await this.scrapeCluster() : await this.registry.metrics();
    return { contentType: this.registry.contentType, text };
  }
}
