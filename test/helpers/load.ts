/**
 * Bounded concurrent load on sign-intermediate through the typed client, for signal tests: each
 * worker sends requests one after another until told to stop, until the daemon stops accepting
 * (a connection error once `expectRefusals` is set), or until its request budget is spent.
 */
import type { ApiClient } from './api-client';

export interface Outcome {
  status?: number;
  reqId?: string;
  serial?: string;
  /** A connection-level failure: the request was never answered. */
  error?: string;
  /** Whether the answer (or failure) came after `markSignalled()`. */
  afterSignal: boolean;
}

export class Load {
  readonly outcomes: Outcome[] = [];
  private stopped = false;
  private signalled = false;
  private readonly workers: Promise<void>[];

  constructor(
    private readonly api: ApiClient,
    private readonly request: { caId: string; csr: string; notAfter: string },
    workers: number,
    private readonly budget = 2000,
  ) {
    this.workers = Array.from({ length: workers }, () => this.work());
  }

  /** From now on, connection failures are the expected end of a worker, not a test failure. */
  markSignalled(): void {
    this.signalled = true;
  }

  /** Resolves once `n` answers have come back (bounded by the request budget). */
  async until(n: number): Promise<void> {
    while (this.outcomes.length < n && !this.stopped) await new Promise((r) => setTimeout(r, 10));
  }

  /** Stops the workers after their current request and waits for them. */
  async stop(): Promise<Outcome[]> {
    this.stopped = true;
    await Promise.all(this.workers);
    return this.outcomes;
  }

  /** Waits for the workers to end by themselves (after the daemon stopped accepting). */
  async drained(): Promise<Outcome[]> {
    await Promise.all(this.workers);
    return this.outcomes;
  }

  private async work(): Promise<void> {
    for (let i = 0; i < this.budget && !this.stopped; i++) {
      const { caId, csr, notAfter } = this.request;
      try {
        const r = await this.api.POST('/api/v1/cert-manager/ca/internal/{caId}/sign-intermediate', {
          params: { path: { caId } }, body: { csr, notAfter },
        });
        this.outcomes.push({
          status: r.response.status, reqId: r.response.headers.get('x-request-id') ?? undefined,
          serial: r.data?.serialNumber, afterSignal: this.signalled,
        });
      } catch (e) {
        if (!this.signalled) throw e;
        this.outcomes.push({ error: String((e as Error).cause ?? e), afterSignal: true });
        return;
      }
    }
  }
}
