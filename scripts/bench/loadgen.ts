/**
 * A closed-loop HTTP load generator: `concurrency` clients on keep-alive connections, each
 * sending its next request as soon as the previous answer is read. In-process and lean (plain
 * node:http) so it takes as little of the two cores as possible from the server it measures.
 */
import http from 'node:http';
import { runWrk, wrkAvailable } from './wrk';

export interface LoadOptions {
  url: string;
  /** Request body, sent as is (JSON). */
  body: string;
  headers?: Record<string, string>;
  concurrency: number;
  /** Runs at least this long… */
  seconds: number;
  /** …and, when set, until this many requests were answered. */
  minRequests?: number;
  /** Called after every answered request, with the running count (e.g. to sample memory). */
  onProgress?(done: number): void;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  /** Answers by status code; anything but 200 is a failure. */
  statuses: Record<number, number>;
  /** Transport errors and requests that took longer than the timeout. */
  errors: number;
}

const TIMEOUT_MS = 30_000;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One request; resolves with the status (0 for a transport error or timeout). */
function once(agent: http.Agent, url: URL, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Which client `runLoad` uses: wrk when installed (HSMCA_BENCH_CLIENT=node forces this file's). */
export const loadClient = (): 'wrk' | 'node' => (process.env.HSMCA_BENCH_CLIENT !== 'node' && wrkAvailable() ? 'wrk' : 'node');

export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return loadClient() === 'wrk' && !opts.onProgress && !opts.minRequests ? runWrk(opts) : runNode(opts);
}

async function runNode(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.url);
  const body = Buffer.from(opts.body);
  const headers = { 'content-type': 'application/json', ...opts.headers };
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  const more = (): boolean => performance.now() < deadline || latencies.length < (opts.minRequests ?? 0);

  const client = async (): Promise<void> => {
    while (more()) {
      const t = performance.now();
      const status = await once(agent, url, body, headers);
      latencies.push(performance.now() - t);
      if (status === 0) errors++;
      else statuses[status] = (statuses[status] ?? 0) + 1;
      opts.onProgress?.(latencies.length);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length, seconds, perSecond: latencies.length / seconds,
    p50: percentile(sorted, 50), p99: percentile(sorted, 99), statuses, errors,
  };
}
