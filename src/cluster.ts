/**
 * `hsmca serve` as several processes: a primary that owns nothing but the workers, and workers
 * that each open the token (one login per process, their own session pool) and serve HTTP on one
 * shared port. Processes rather than worker threads: SoftHSM signs P-256 ~40 % faster from two
 * processes than from two threads of one (docs: hsm.md), and each process keeps its own event
 * loop for HTTP, JSON and certificate work. Measured in `npm run bench` (workers 1 vs 2).
 *
 * Workers start one after another: logins to one token at the same instant can fail
 * (CKR_GENERAL_ERROR on SoftHSM), and a PIN the token refused must not be tried by the next
 * worker (that is how tokens get locked): after a refused PIN no further worker is started.
 */
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import type { Logger } from 'pino';
import type { Config } from './config/config';
import { openRuntime } from './runtime';
import { serve } from './serve';
import { openStore } from './store';
import { unusableCas } from './services/readiness';
import { aggregateWorkerMetrics } from './metrics/cluster';

interface ListeningMessage {
  type: 'listening';
  url: string;
  /** Whether the next worker may try to log in (false after a refused PIN). */
  loginAllowed: boolean;
}

const RESPAWN_DELAY_MS = 1_000;

/**
 * V8's allocation-site pretenuring watches which allocation sites' objects survive a scavenge and
 * then allocates them straight in the old generation. Under concurrent requests it sees the
 * objects of requests still in flight survive and pretenures the request path itself: the old
 * generation then fills with request garbage at ~20 MB/s and a full mark-compact runs every ~3 s,
 * the heap swinging between ~23 and ~100 MB. Without it the heap swings between ~23 and ~33 MB,
 * scavenges take half as long, and a worker spends ~5 % less CPU per request (docs/performance.md,
 * "Sixth session"). Nothing in a worker builds long-lived data fast enough to miss it.
 */
const WORKER_V8_FLAGS = ['--no-allocation-site-pretenuring'];

/**
 * Runs the daemon; in the primary resolves with the URL once every worker listens. `loadConfig`
 * re-reads the configuration on SIGHUP.
 */
export async function serveCommand(config: Config, log: Logger, loadConfig?: () => Config): Promise<string | undefined> {
  if (cluster.isWorker) {
    await runWorker(config, log, loadConfig);
    return undefined;
  }
  return runPrimary(config, log, loadConfig);
}

async function runWorker(config: Config, log: Logger, loadConfig?: () => Config): Promise<void> {
  const rt = await openRuntime(config, log, { hsm: true, auth: true, serving: true, loadConfig });
  rt.metrics.shareWithCluster();
  const { url } = await serve(rt);
  const status = rt.keyStore!.status();
  if (status.ready) {
    for (const problem of await unusableCas(rt.services!)) log.error({ problem }, 'CA cannot sign');
  }
  const message: ListeningMessage = {
    type: 'listening',
    url,
    loginAllowed: status.ready || status.retrying === true,
  };
  process.send!(message);
}

async function runPrimary(config: Config, log: Logger, loadConfig?: () => Config): Promise<string> {
  aggregateWorkerMetrics();
  // Migrations run once, here, so that workers never race on them.
  await (await openStore(config.database)).close();
  const count = config.workers ?? os.availableParallelism();
  let stopping = false;
  let url = '';

  cluster.setupPrimary({ execArgv: [...process.execArgv, ...WORKER_V8_FLAGS] });
  const start = (): Promise<ListeningMessage> => new Promise((resolve, reject) => {
    // libuv's default pool (4 threads) is enough: signatures run on the key store's own threads;
    // key generation and the WAL's fdatasync are what is left on it.
    const worker: Worker = cluster.fork();
    const onExit = (code: number | null): void => reject(new Error(`worker exited with ${code} before listening`));
    worker.once('exit', onExit);
    worker.on('message', (m: ListeningMessage) => {
      if (m?.type !== 'listening') return;
      worker.off('exit', onExit);
      worker.once('exit', (code, signal) => {
        if (stopping) return;
        log.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
        setTimeout(() => start().catch((e) => log.error({ err: e }, 'worker failed to start')), RESPAWN_DELAY_MS).unref();
      });
      resolve(m);
    });
  });

  try {
    for (let i = 0; i < count; i++) {
      const m = await start();
      url = m.url;
      if (!m.loginAllowed) {
        log.error('HSM login refused: no further worker started, so the PIN is not tried again');
        break;
      }
    }
  } catch (e) {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    throw e;
  }
  forwardSignals(config, log, loadConfig, () => (stopping = true));
  return url;
}

const workers = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);

/**
 * The primary owns no request: it passes SIGTERM/SIGINT on to every worker (each drains and
 * exits by itself) and exits once all have, 0 only if every one did; SIGHUP is passed on too
 * (each worker reloads its own configuration), and applies the new log level here.
 */
function forwardSignals(config: Config, log: Logger, loadConfig: (() => Config) | undefined, onStop: () => void): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    onStop();
    log.info({ signal }, 'shutting down workers');
    const running = workers();
    let left = running.length;
    let failed = 0;
    if (left === 0) process.exit(0);
    for (const w of running) {
      w.once('exit', (code, sig) => {
        if (code !== 0) {
          failed++;
          log.error({ pid: w.process.pid, code, signal: sig }, 'worker did not stop cleanly');
        }
        if (--left === 0) process.exit(failed ? 1 : 0);
      });
      w.process.kill('SIGTERM');
    }
    // Each worker bounds its own shutdown by the grace period plus closing time; this is the backstop.
    setTimeout(() => process.exit(1), config.shutdownGraceMs + 20_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    try {
      if (loadConfig) log.level = loadConfig().logLevel;
    } catch {
      // Each worker reports what is wrong with the file; the primary keeps its level.
    }
    for (const w of workers()) w.process.kill('SIGHUP');
  });
}
