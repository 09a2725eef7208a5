/**
 * Group commit. Writes that must be durable before a response is sent are queued here and run
 * together: every job queued while the previous batch was being written goes into one
 * transaction, committed once and made durable once (`afterCommit`, e.g. one fdatasync of the
 * SQLite WAL), instead of one commit and one fsync per request.
 *
 * A batch first runs its jobs back to back, with no savepoints (two statements per job saved on
 * the request path). Should one fail (a duplicate serial, say), the whole transaction is rolled
 * back and the batch runs again with each job in its own SAVEPOINT, so the failing job is rolled
 * back alone and rejects alone while the rest still commit. So a job may run twice and must only
 * touch the database through the transaction it is given, deterministically from what it reads
 * there: it is the unit other features (e.g. an audit hash-chain append, which reads the previous
 * link in the same transaction) join.
 */
import { sql, type Kysely } from 'kysely';
import { observeGroupCommitBatch } from '../metrics/group-commit';

/** A job gets the connection its batch's transaction runs on. */
export type WriteJob<DB, T> = (tx: Kysely<DB>) => Promise<T>;

export interface BatchWriterOptions {
  /** Most jobs in one transaction (default 256). */
  maxBatch?: number;
  /** Runs after each COMMIT; jobs resolve only once it has (the durability barrier). */
  afterCommit?: () => Promise<void>;
  /**
   * How a batch's transaction starts. SQLite wants `BEGIN IMMEDIATE`: the write lock is taken
   * (waiting out other processes) before any job reads, so a job that reads then writes (the
   * audit chain's head) can never fail on a snapshot another process moved.
   */
  begin?: string;
  /**
   * Instead of `begin`: starts the transaction without waiting for the write lock, throwing
   * SQLITE_BUSY while another process holds it. The batch then tries again `LOCK_RETRY_MS` later,
   * the event loop free in between (SQLite's own busy handler would sleep on it), for up to
   * `lockWaitMs` (default 5 s), after which that error is the batch's.
   */
  beginNow?: () => void;
  lockWaitMs?: number;
  /** Called as soon as a batch has committed (before `afterCommit`), e.g. to drop cached reads. */
  committed?: () => void;
}

/** Between two tries for a write lock another process holds: its transactions take ~0.1–1 ms. */
const LOCK_RETRY_MS = 1;

interface Queued<DB> {
  job: WriteJob<DB, unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class BatchWriter<DB> {
  private readonly queue: Queued<DB>[] = [];
  /**
   * Scratch space of the batch being written, for what its jobs may share because the batch's
   * transaction holds the write lock (e.g. the audit chain's head). Undefined outside a batch and
   * while a batch re-runs with savepoints, where a job's effects may be rolled back alone.
   */
  batchState: Map<string, unknown> | undefined;
  private readonly maxBatch: number;
  private scheduled = false;
  private writing = false;
  private idle: Promise<void> = Promise.resolve();
  /** Batches written so far and jobs in them, for the benchmark's notes and for tests. */
  readonly stats = { batches: 0, jobs: 0 };

  constructor(private readonly db: Kysely<DB>, private readonly options: BatchWriterOptions = {}) {
    this.maxBatch = options.maxBatch ?? 256;
  }

  /** Queues `job`; resolves with its result once the transaction holding it is committed and durable. */
  run<T>(job: WriteJob<DB, T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  /** Resolves once every job queued so far has settled. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.writing || this.scheduled) {
      await this.idle;
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Starts a batch on the next turn of the event loop, so that the requests handled in this
   * turn join it, unless a batch is being written: then the next one starts when it commits.
   */
  private kick(): void {
    if (this.writing || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.idle = this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    const batch = this.queue.splice(0, this.maxBatch);
    const outcomes: Outcome[] = [];
    let failure: { error: unknown } | undefined;
    try {
      // The connection is held for the whole transaction (nobody else's statement runs inside it)
      // but let go between tries for the lock, so reads go on meanwhile.
      for (const since = Date.now(); ;) {
        const began = await this.db.connection().execute(async (conn) => {
          outcomes.length = 0;
          if (!(await this.begin(conn, since))) return false;
          if (await this.attempt(conn, batch, outcomes, false)) return true;
          // Rolled back: again, each job in its own savepoint (the lock may have been taken meanwhile).
          outcomes.length = 0;
          if (!(await this.begin(conn, since))) return false;
          await this.attempt(conn, batch, outcomes, true);
          return true;
        });
        if (began) break;
        await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
        // What was queued while waiting joins this batch.
        batch.push(...this.queue.splice(0, this.maxBatch - batch.length));
      }
      this.stats.batches++;
      this.stats.jobs += batch.length;
      observeGroupCommitBatch(batch.length);
    } catch (error) {
      failure = { error };
    }
    // The next batch may be written while this one is being made durable.
    this.writing = false;
    this.kick();
    if (!failure) {
      try {
        await this.options.afterCommit?.();
      } catch (error) {
        failure = { error };
      }
    }
    batch.forEach((queued, i) => {
      const outcome = outcomes[i];
      if (failure) queued.reject(failure.error);
      else if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  }

  /**
   * One try at the batch in the transaction just begun. Without savepoints, resolves false (rolled
   * back) as soon as a job fails; with them, each job's failure is its own and the batch commits.
   */
  private async attempt(conn: Kysely<DB>, batch: Queued<DB>[], outcomes: Outcome[], savepoints: boolean): Promise<boolean> {
    this.batchState = savepoints ? undefined : new Map();
    try {
      for (const { job } of batch) {
        if (savepoints) {
          outcomes.push(await this.isolated(conn, job));
          continue;
        }
        try {
          outcomes.push({ ok: true, value: await job(conn) });
        } catch {
          await sql`ROLLBACK`.execute(conn);
          return false;
        }
      }
      await sql`COMMIT`.execute(conn);
      this.options.committed?.();
      return true;
    } catch (e) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw e;
    } finally {
      this.batchState = undefined;
    }
  }

  /** BEGIN. False when `beginNow` found the write lock taken and there is time to try again. */
  private begin(conn: Kysely<DB>, since: number): boolean | Promise<boolean> {
    const { beginNow, lockWaitMs = 5_000 } = this.options;
    if (!beginNow) return sql.raw(this.options.begin ?? 'BEGIN').execute(conn).then(() => true);
    try {
      beginNow();
      return true;
    } catch (e) {
      if (isBusy(e) && Date.now() - since < lockWaitMs) return false;
      throw e;
    }
  }

  private async isolated(tx: Kysely<DB>, job: WriteJob<DB, unknown>): Promise<Outcome> {
    await sql`SAVEPOINT job`.execute(tx);
    try {
      const value = await job(tx);
      await sql`RELEASE SAVEPOINT job`.execute(tx);
      return { ok: true, value };
    } catch (error) {
      await sql`ROLLBACK TO SAVEPOINT job`.execute(tx);
      await sql`RELEASE SAVEPOINT job`.execute(tx);
      return { ok: false, error };
    }
  }
}

/** SQLite's "database is locked": the write lock another connection holds. */
export const isBusy = (e: unknown): boolean => (e as { code?: unknown })?.code === 'SQLITE_BUSY';
