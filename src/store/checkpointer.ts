/**
 * WAL checkpoints off the event loop. With `wal_autocheckpoint` left on, the COMMIT that crosses
 * the threshold copies the WAL into the database and fsyncs both, stalling every request for
 * milliseconds; here a worker thread with its own connection runs PASSIVE checkpoints instead
 * (they never block writers), and the daemon's connection has auto-checkpoints turned off.
 *
 * PASSIVE alone never lets the WAL start over under steady load: SQLite rewinds it only when a
 * writer finds every frame copied back, and frames keep arriving while a checkpoint runs (measured:
 * 3.2 GB of WAL after 100 s at ~3,000 issuances/s). So once the WAL holds more than `maxWalBytes`,
 * a RESTART checkpoint follows the PASSIVE one: it holds writers off only while it copies what the
 * PASSIVE one left (the last moments' frames), and the next writer starts the WAL from its head.
 * Its wait for a writer or reader to finish is short (`RESTART_WAIT_MS`): if that is not enough,
 * the next interval tries again. `journal_size_limit` then cuts a WAL grown past the bound back.
 *
 * A PASSIVE checkpoint under load never finds the WAL still at its end, so it never syncs the
 * database file: the RESTART, the first checkpoint to complete, did, for every page the PASSIVE
 * ones had copied since the last RESTART, while holding writers off. Measured: 4–20 ms, every
 * 1.5 s at ~5,000 issuances/s, which made the request latency's 99th percentile (21–23 ms
 * against 14.5–15 with no RESTART). So before a RESTART the thread syncs those pages itself,
 * with writers running, and copies and syncs once more what came meanwhile; the RESTART is left
 * with the last moments' frames (measured: 0.75–4 ms after one such round).
 *
 * A checkpoint that fails for another reason than a lock (a full disk, an I/O error) is reported,
 * once until it fails differently or one succeeds: the WAL keeps every commit meanwhile, so
 * nothing is lost, but it grows until the cause is mended. So is a thread that cannot start.
 */
import { Worker } from 'node:worker_threads';

/** Plain JS, run with `eval`, so it works the same from dist/ and from the TypeScript tests. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const fs = require('node:fs');
let reported = '';
const report = (e) => {
  const message = String(e && e.message || e);
  if (message !== reported) parentPort.postMessage({ failed: message });
  reported = message;
};
let db, dbFd, frameBytes;
try {
  db = new Database(workerData.file);
  dbFd = fs.openSync(workerData.file, 'r');
  db.pragma('busy_timeout = ' + workerData.restartWaitMs);
  db.pragma('synchronous = NORMAL');
  db.pragma('journal_size_limit = ' + workerData.maxWalBytes);
  frameBytes = db.pragma('page_size', { simple: true }) + 24;
} catch (e) {
  parentPort.postMessage({ stopped: String(e.message) });
  process.exit(1); // this thread only
}
const checkpoint = () => {
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (log * frameBytes > workerData.maxWalBytes) {
      fs.fdatasyncSync(dbFd);
      db.pragma('wal_checkpoint(PASSIVE)');
      fs.fdatasyncSync(dbFd);
      db.pragma('wal_checkpoint(RESTART)');
    }
    reported = '';
  } catch (e) {
    // Busy or locked: another connection holds what it needs, next time.
    if (e.code !== 'SQLITE_BUSY' && e.code !== 'SQLITE_LOCKED') report(e);
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  fs.closeSync(dbFd);
  parentPort.postMessage('closed');
});
`;

/** How long a RESTART checkpoint waits for the write lock and for readers (it holds writers off meanwhile). */
const RESTART_WAIT_MS = 100;
/** Past this, the WAL is rewound (and cut back to it): 64 MiB is ~2 s of issuances at full speed here. */
export const MAX_WAL_BYTES = 64 * 1024 * 1024;

export interface CheckpointerOptions {
  intervalMs?: number;
  maxWalBytes?: number;
  /** Told why checkpoints fail (not when the database is merely busy). */
  onFailure?: (message: string) => void;
}

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(file: string, { intervalMs = 500, maxWalBytes = MAX_WAL_BYTES, onFailure = () => {} }: CheckpointerOptions = {}) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, intervalMs, maxWalBytes, restartWaitMs: RESTART_WAIT_MS, driver: require.resolve('better-sqlite3') },
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', (m: { failed?: string; stopped?: string }) => {
      if (m.failed) onFailure(`WAL checkpoint failed: ${m.failed}`);
      if (m.stopped) onFailure(`WAL checkpointer stopped: ${m.stopped}`);
    });
    // Anything else uncaught in the thread: without a listener, the whole process would die. (An
    // SQLite error arrives as a plain object, e.g. { code: 'SQLITE_NOTADB' }.)
    this.worker.on('error', (e: unknown) => onFailure(`WAL checkpointer stopped: ${e instanceof Error ? e.message : JSON.stringify(e)}`));
    this.worker.unref();
  }

  /** Runs a last checkpoint and stops the thread. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.worker.on('message', (m) => m === 'closed' && resolve());
    });
    // The thread is unref'd so that it never keeps the process alive; while it finishes, it must.
    this.worker.ref();
    this.worker.postMessage('close');
    await Promise.race([closed, this.exited]);
    await this.worker.terminate();
  }
}
