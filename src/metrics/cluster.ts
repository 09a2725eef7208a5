/**
 * /metrics with cluster workers: each worker counts only its own traffic, and the primary hands
 * every connection to one of them, so a scrape answered from one registry would jump between
 * workers' numbers. Instead the worker that takes the scrape asks the primary, which gathers
 * every worker's registry (prom-client's AggregatorRegistry: counters and histograms summed,
 * Node.js gauges averaged or summed as prom-client declares) and answers with the total.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'hsmca:metrics-request';
const ANSWER = 'hsmca:metrics-answer';
/** prom-client gives up on a worker that does not answer after 5 s; this is one second more. */
const TIMEOUT_MS = 6_000;

interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

/** In the primary: answers workers' scrape requests with the aggregate of all workers. */
export function aggregateWorkerMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, m: { type?: string; id?: number }) => {
    if (m?.type !== REQUEST) return;
    const reply = (a: Omit<Answer, 'type' | 'id'>): void => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id: m.id, ...a });
    };
    aggregator.clusterMetrics().then((text) => reply({ text }), (e: Error) => reply({ error: e.message }));
  });
}

/**
 * In a worker: offers `registry` to the primary's aggregation, and returns the scrape to serve
 * instead of the registry's own text.
 */
export function clusterScrape(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's side: answering the primary with `registry`
  let next = 0;
  const pending = new Map<number, (a: Answer) => void>();
  process.on('message', (m: Answer) => {
    if (m?.type === ANSWER) pending.get(m.id)?.(m);
  });
  return () => new Promise<string>((resolve, reject) => {
    const id = next++;
    const timer = setTimeout(() => settle({ type: ANSWER, id, error: 'the primary did not answer' }), TIMEOUT_MS);
    const settle = (a: Answer): void => {
      clearTimeout(timer);
      pending.delete(id);
      if (a.error !== undefined) reject(new Error(`cluster metrics: ${a.error}`));
      else resolve(a.text ?? '');
    };
    pending.set(id, settle);
    process.send!({ type: REQUEST, id });
  });
}
