/**
 * The durability barrier for SQLite in WAL mode with `synchronous = NORMAL`: a COMMIT writes its
 * frames to the `-wal` file without syncing it, and `sync()` then makes them durable with one
 * fdatasync of that file on the libuv thread pool, off the event loop. Every commit that happened
 * before an fdatasync started is covered by it, so concurrent committers share one (group commit
 * at the fsync level). Together this is what `synchronous = FULL` promises (a committed
 * transaction survives a power cut), without blocking the event loop for each fsync.
 *
 * The fd stays valid for the connection's lifetime: SQLite deletes the WAL only when the last
 * connection closes, and this process holds one open until `close()`.
 */
import fs from 'node:fs';

const fdatasync = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));

export class WalSync {
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  private pending: Promise<void> | undefined;
  /** fdatasync calls made so far. */
  syncs = 0;

  constructor(private readonly walFile: string) {}

  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void> {
    // A sync that has not started yet will cover this caller's commit too.
    if (this.pending) return this.pending;
    if (!this.running) return this.start();
    // One is running, possibly started before this caller committed: queue exactly one more.
    this.pending = this.running.catch(() => undefined).then(() => {
      this.pending = undefined;
      return this.start();
    });
    return this.pending;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private start(): Promise<void> {
    this.fd ??= fs.openSync(this.walFile, 'r');
    this.syncs++;
    const run = fdatasync(this.fd).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
