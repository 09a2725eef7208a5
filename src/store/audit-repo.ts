import { CompiledInserts, CompiledOnce } from './compiled';
import type { WriteJob } from './batch-writer';
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './dialect';
import { isUniqueViolation } from './unique-violation';
import type { AuditCheckpointRow, AuditEventRow, Database } from './schema';

export interface ChainHead {
  seq: number;
  hash: string;
}

/** An arbitrary constant naming the audit chain's lock among PostgreSQL advisory locks. */
const PG_AUDIT_LOCK = 0x68736d6361;
const APPEND_ATTEMPTS = 5;
/** Where an append leaves the chain's head for the next append of its batch. */
const HEAD = 'audit-head';

/**
 * The audit trail's tables. Appending reads the chain's head and inserts the next event in one
 * write transaction (a job of the group commit), so several writers (CLI and daemons on one
 * SQLite file, several daemons on one PostgreSQL) extend one chain instead of forking it:
 * SQLite's `BEGIN IMMEDIATE` takes the write lock before the head is read; on PostgreSQL a
 * transaction-scoped advisory lock does the same. The primary key on `seq` is the backstop: a writer that somehow read a stale head
 * collides on `seq` and tries again with the new head.
 */
export class AuditRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly write: <T>(job: WriteJob<Database, T>) => Promise<T>,
    private readonly inserts: CompiledInserts,
    /** The running group-commit batch's shared state (see `BatchWriter.batchState`). */
    private readonly batchState: () => Map<string, unknown> | undefined = () => undefined,
  ) {}

  /**
   * LIMIT as a literal: SQLite's planner reads a bound LIMIT's value, so such a statement expires
   * at each new binding and was parsed and planned again on every run (~a third of its cost).
   */
  private readonly headQuery = new CompiledOnce(() =>
    this.db.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(sql.lit(1)));

  /** `build` is given the current head (undefined for an empty chain) and returns the new row. */
  async append(build: (head: ChainHead | undefined) => AuditEventRow): Promise<AuditEventRow> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.appendOnce(build);
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= APPEND_ATTEMPTS) throw e;
      }
    }
  }

  /**
   * One append, as a job of the group commit: the batch's transaction already holds SQLite's
   * write lock (`BEGIN IMMEDIATE`); PostgreSQL takes the chain's advisory lock here.
   */
  private appendOnce(build: (head: ChainHead | undefined) => AuditEventRow): Promise<AuditEventRow> {
    return this.write((tx) => this.appendIn(tx, build));
  }

  /**
   * Appends inside a job of the group commit, e.g. together with the certificate the event is
   * about, so the two are committed (or lost) together.
   */
  async appendIn(tx: Kysely<Database>, build: (head: ChainHead | undefined) => AuditEventRow): Promise<AuditEventRow> {
    // Within one batch the transaction keeps the lock, so the head the last append left is
    // still the head: read (and lock) once per batch, not once per event.
    const batch = this.batchState();
    let head = batch?.get(HEAD) as ChainHead | null | undefined;
    if (head === undefined) {
      await this.lockChain(tx);
      head = (await this.readHead(tx)) ?? null;
    }
    const row = build(head ?? undefined);
    await this.inserts.insert(tx, 'audit_events', row);
    batch?.set(HEAD, { seq: row.seq, hash: row.hash });
    return row;
  }

  /** PostgreSQL: the chain's transaction-scoped advisory lock (on SQLite, BEGIN IMMEDIATE holds it). */
  private async lockChain(tx: Kysely<Database>): Promise<void> {
    if (this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${PG_AUDIT_LOCK})`.execute(tx);
  }

  head(): Promise<ChainHead | undefined> {
    return this.readHead(this.db);
  }

  private async readHead(db: Kysely<Database>): Promise<ChainHead | undefined> {
    const row = await this.headQuery.first(db, []);
    return row && { seq: Number(row.seq), hash: row.hash };
  }

  /** Events in chain order, from `fromSeq` on. */
  async events(fromSeq = 0): Promise<AuditEventRow[]> {
    const rows = await this.db.selectFrom('audit_events').selectAll().where('seq', '>=', fromSeq).orderBy('seq').execute();
    return rows.map((r) => ({ ...r, seq: Number(r.seq), status: Number(r.status) }));
  }

  /**
   * Stores a checkpoint unless one already seals this event or a later one: two daemons (or
   * cluster workers) may read the head, sign, and reach this in either order, and checkpoints
   * must only go forward. Under the chain's lock, like an append. Resolves whether it was stored.
   */
  async insertCheckpoint(row: Omit<AuditCheckpointRow, 'id'>): Promise<boolean> {
    return this.write(async (tx) => {
      await this.lockChain(tx);
      const latest = await tx.selectFrom('audit_checkpoints').select('event_seq').orderBy('id', 'desc').limit(1).executeTakeFirst();
      if (latest && Number(latest.event_seq) >= row.event_seq) return false;
      await tx.insertInto('audit_checkpoints').values(row).execute();
      return true;
    });
  }

  async checkpoints(): Promise<(Omit<AuditCheckpointRow, 'id'> & { id: number })[]> {
    const rows = await this.db.selectFrom('audit_checkpoints').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), event_seq: Number(r.event_seq) }));
  }
}
