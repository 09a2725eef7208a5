import type { Kysely } from 'kysely';
import { AppError } from '../errors';
import { AuditRepo, type ChainHead } from './audit-repo';
import { CompiledInserts, CompiledOnce } from './compiled';
import { LookupCache } from './lookup-cache';
import { BatchWriter, isBusy, type WriteJob } from './batch-writer';
import type { Dialect } from './dialect';
import { IdentityRepo } from './identity-repo';
import type { AuditEventRow, CaCertificateRow, CaRow, CertificateRow, CrlRow, Database } from './schema';
import { isUniqueViolation } from './unique-violation';

/** Rival CRL writers are rare (a revocation each); this bounds a pathological race. */
const CRL_ATTEMPTS = 100;

/** Raised when an issuer already has a certificate with this serial: the caller draws again. */
export class DuplicateSerialError extends Error {
  constructor() {
    super('duplicate serial for this issuer');
    this.name = 'DuplicateSerialError';
  }
}

export interface StoreOptions {
  /** The durability barrier run after each group commit (SQLite: fdatasync of the WAL). */
  afterCommit?: () => Promise<void>;
  /** Starts a write transaction without waiting for the lock (see `BatchWriterOptions.beginNow`). */
  beginNow?: () => void;
  /** Releases what the dialect opened beside the connection. */
  onClose?: () => Promise<void>;
}

/**
 * The one query layer over SQLite or PostgreSQL. Services call these methods; nothing else
 * writes SQL. Every write goes through `write()`, the group-commit writer: it resolves once the
 * write is committed and durable, so it can be awaited before a response is sent.
 */
export class Store {
  readonly writer: BatchWriter<Database>;
  /** The migrations this open applied (empty when the schema was already current). */
  appliedMigrations: string[] = [];
  readonly identities: IdentityRepo;
  readonly audit: AuditRepo;
  private readonly inserts: CompiledInserts;
  private readonly caById = new CompiledOnce<CaRow>(() => this.db.selectFrom('cas').selectAll().where('id', '=', ''));
  private readonly epochQuery = new CompiledOnce<{ n: number }>(() => this.db.selectFrom('lookup_epoch').select('n').where('id', '=', 1));
  /** CA, token and identity rows, kept while `lookup_epoch` says nobody changed them. */
  readonly lookups = new LookupCache(async () => Number((await this.epochQuery.first(this.db, []))?.n ?? 0));

  constructor(readonly db: Kysely<Database>, readonly dialect: Dialect = 'sqlite', private readonly options: StoreOptions = {}) {
    this.inserts = new CompiledInserts(db);
    this.writer = new BatchWriter(db, {
      afterCommit: options.afterCommit, begin: dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN', beginNow: options.beginNow,
      committed: () => this.lookups.stale(),
    });
    this.audit = new AuditRepo(db, dialect, (job) => this.write(job), this.inserts, () => this.writer.batchState);
    this.identities = new IdentityRepo(db, (job) => this.write(job), this.lookups);
  }

  /**
   * Runs `job` in the next group commit (one transaction shared with other jobs; see BatchWriter) and
   * resolves once that commit is durable. New durable writes belong here.
   */
  write<T>(job: WriteJob<Database, T>): Promise<T> {
    return this.writer.run(job).catch((e: unknown) => {
      // The write lock stayed taken past the wait (another process's long transaction): the
      // database's trouble, not the client's or a bug, so a 503 with Retry-After.
      if (isBusy(e)) throw new AppError('Unavailable', 'database write lock busy', undefined, { cause: e });
      throw e;
    });
  }

  async insertCa(ca: CaRow, cert?: CaCertificateRow): Promise<void> {
    await this.write(async (tx) => {
      await tx.insertInto('cas').values(ca).execute();
      if (cert) await tx.insertInto('ca_certificates').values(cert).execute();
    });
  }

  getCa(id: string): Promise<CaRow | undefined> {
    return this.lookups.get(`ca:${id}`, () => this.caById.first(this.db, [id]));
  }

  getCaByName(name: string): Promise<CaRow | undefined> {
    return this.db.selectFrom('cas').selectAll().where('name', '=', name).executeTakeFirst();
  }

  listCas(): Promise<CaRow[]> {
    return this.db.selectFrom('cas').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  /** Updates a CA row; resolves false when no such CA exists. */
  async updateCa(id: string, patch: Partial<Omit<CaRow, 'id'>>): Promise<boolean> {
    const r = await this.write((tx) => tx.updateTable('cas').set(patch).where('id', '=', id).executeTakeFirst());
    return Number(r.numUpdatedRows) > 0;
  }

  /** Removes a CA and its certificate versions. What it issued stays on record. */
  async deleteCa(id: string): Promise<void> {
    await this.write(async (tx) => {
      await tx.deleteFrom('ca_certificates').where('ca_id', '=', id).execute();
      await tx.deleteFrom('cas').where('id', '=', id).execute();
    });
  }

  /**
   * Adds a certificate version to a CA and makes it the active one, in one transaction, with
   * the CA's other changes (status, configuration). The version number is the next free one.
   */
  async installCaCertificate(
    caId: string,
    cert: Omit<CaCertificateRow, 'version' | 'ca_id'>,
    caPatch: Partial<Omit<CaRow, 'id' | 'active_ca_cert_id'>>,
  ): Promise<CaCertificateRow> {
    return this.write(async (tx) => {
      const { v } = await tx.selectFrom('ca_certificates').where('ca_id', '=', caId)
        .select((eb) => eb.fn.max('version').as('v')).executeTakeFirstOrThrow();
      const row: CaCertificateRow = { ...cert, ca_id: caId, version: Number(v ?? 0) + 1 };
      await tx.insertInto('ca_certificates').values(row).execute();
      await tx.updateTable('cas').set({ ...caPatch, active_ca_cert_id: row.id }).where('id', '=', caId).execute();
      return row;
    });
  }

  listCaCertificates(caId: string): Promise<CaCertificateRow[]> {
    return this.db.selectFrom('ca_certificates').selectAll().where('ca_id', '=', caId).orderBy('version').execute();
  }

  getCaCertificate(id: string): Promise<CaCertificateRow | undefined> {
    return this.db.selectFrom('ca_certificates').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Commits an issued certificate, and with `auditLink` its audit event in the same transaction
   * (neither is ever on disk without the other); `DuplicateSerialError` when (issuer, serial) exists.
   */
  async insertCertificate(row: CertificateRow, auditLink?: (head: ChainHead | undefined) => AuditEventRow): Promise<void> {
    try {
      await this.write(async (tx) => {
        await this.inserts.insert(tx, 'certificates', row);
        if (auditLink) await this.audit.appendIn(tx, auditLink);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateSerialError();
      throw e;
    }
  }

  getCertificateBySerial(caId: string, serial: string): Promise<CertificateRow | undefined> {
    return this.db.selectFrom('certificates').selectAll()
      .where('ca_id', '=', caId).where('serial', '=', serial).executeTakeFirst();
  }

  /** By id, or by serial (any issuer). */
  findCertificates(idOrSerial: string): Promise<CertificateRow[]> {
    return this.db.selectFrom('certificates').selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrSerial), eb('serial', '=', idOrSerial.toLowerCase())])).execute();
  }

  listCertificates(caId: string, opts: { offset: number; limit: number }): Promise<CertificateRow[]> {
    return this.db.selectFrom('certificates').selectAll().where('ca_id', '=', caId)
      .orderBy('created_at').orderBy('id').offset(opts.offset).limit(opts.limit).execute();
  }

  /** Marks a certificate revoked unless it already is; resolves false when it was. */
  async revokeCertificate(id: string, at: string, reason: string): Promise<boolean> {
    const r = await this.write((tx) => tx.updateTable('certificates').set({ revoked_at: at, revocation_reason: reason })
      .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst());
    return Number(r.numUpdatedRows) === 1;
  }

  /** Revoked certificates of a CA that have not expired by `now` (RFC 5280 lets expired ones go). */
  listRevoked(caId: string, now: string): Promise<CertificateRow[]> {
    return this.db.selectFrom('certificates').selectAll().where('ca_id', '=', caId)
      .where('revoked_at', 'is not', null).where('not_after', '>', now).execute();
  }

  latestCrl(caId: string): Promise<CrlRow | undefined> {
    return this.db.selectFrom('crls').selectAll().where('ca_id', '=', caId)
      .orderBy('number', 'desc').limit(1).executeTakeFirst();
  }

  getCrl(id: string): Promise<CrlRow | undefined> {
    return this.db.selectFrom('crls').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Stores a CRL under the next number for its CA. `build(number)` makes the DER; the
   * (ca_id, number) constraint makes two writers racing for a number retry, never share it.
   */
  async appendCrl(caId: string, build: (number: number) => Promise<Omit<CrlRow, 'number' | 'ca_id'>>): Promise<CrlRow> {
    for (let attempt = 1; ; attempt++) {
      const latest = await this.latestCrl(caId);
      const number = (latest?.number ?? 0) + 1;
      const row: CrlRow = { ...(await build(number)), ca_id: caId, number };
      try {
        await this.write((tx) => tx.insertInto('crls').values(row).execute());
        return row;
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= CRL_ATTEMPTS) throw e;
        // Another writer took the number: let the racers spread out, then build on theirs.
        await new Promise((r) => setTimeout(r, Math.random() * 10 * Math.min(attempt, 10)));
      }
    }
  }

  async countCertificates(caId?: string): Promise<number> {
    let q = this.db.selectFrom('certificates').select((eb) => eb.fn.countAll<string | number>().as('n'));
    if (caId) q = q.where('ca_id', '=', caId);
    const { n } = await q.executeTakeFirstOrThrow();
    return Number(n);
  }

  /** The audit trail in chain order. */
  listAuditEvents(): Promise<AuditEventRow[]> {
    return this.audit.events();
  }

  /** Several writes that stand or fall together: the same as `write()`. */
  transaction<T>(fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.write(fn);
  }

  /** Lets queued writes finish, then closes the connection. */
  async close(): Promise<void> {
    await this.writer.drain();
    await this.db.destroy();
    await this.options.onClose?.();
  }
}
