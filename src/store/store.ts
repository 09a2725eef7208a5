import type { Kysely, Selectable, Transaction } from 'kysely';
import { BatchWriter, type WriteJob } from './batch-writer';
import type { AuditEventRow, CaCertificateRow, CaRow, CertificateRow, Database, TokenRow } from './schema';

/** Raised when an issuer already has a certificate with this serial: the caller draws again. */
export class DuplicateSerialError extends Error {
  constructor() {
    super('duplicate serial for this issuer');
    this.name = 'DuplicateSerialError';
  }
}

type NewAuditEvent = Omit<AuditEventRow, 'seq'>;

export interface StoreOptions {
  /** The durability barrier run after each group commit (SQLite: fdatasync of the WAL). */
  afterCommit?: () => Promise<void>;
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

  constructor(readonly db: Kysely<Database>, private readonly options: StoreOptions = {}) {
    this.writer = new BatchWriter(db, { afterCommit: options.afterCommit });
  }

  /**
   * Runs `job` in the next group commit (its own savepoint inside a shared transaction) and
   * resolves once that commit is durable. New durable writes belong here.
   */
  write<T>(job: WriteJob<Database, T>): Promise<T> {
    return this.writer.run(job);
  }

  async insertCa(ca: CaRow, cert?: CaCertificateRow): Promise<void> {
    await this.write(async (tx) => {
      await tx.insertInto('cas').values(ca).execute();
      if (cert) await tx.insertInto('ca_certificates').values(cert).execute();
    });
  }

  getCa(id: string): Promise<CaRow | undefined> {
    return this.db.selectFrom('cas').selectAll().where('id', '=', id).executeTakeFirst();
  }

  getCaByName(name: string): Promise<CaRow | undefined> {
    return this.db.selectFrom('cas').selectAll().where('name', '=', name).executeTakeFirst();
  }

  listCas(): Promise<CaRow[]> {
    return this.db.selectFrom('cas').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  getCaCertificate(id: string): Promise<CaCertificateRow | undefined> {
    return this.db.selectFrom('ca_certificates').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Commits an issued certificate; `DuplicateSerialError` when (issuer, serial) exists. */
  async insertCertificate(row: CertificateRow): Promise<void> {
    try {
      await this.write((tx) => tx.insertInto('certificates').values(row).execute());
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateSerialError();
      throw e;
    }
  }

  getCertificateBySerial(caId: string, serial: string): Promise<CertificateRow | undefined> {
    return this.db.selectFrom('certificates').selectAll()
      .where('ca_id', '=', caId).where('serial', '=', serial).executeTakeFirst();
  }

  async countCertificates(caId?: string): Promise<number> {
    let q = this.db.selectFrom('certificates').select((eb) => eb.fn.countAll<string | number>().as('n'));
    if (caId) q = q.where('ca_id', '=', caId);
    const { n } = await q.executeTakeFirstOrThrow();
    return Number(n);
  }

  async insertToken(row: TokenRow): Promise<void> {
    await this.write((tx) => tx.insertInto('tokens').values(row).execute());
  }

  findTokenByHash(hash: string): Promise<TokenRow | undefined> {
    return this.db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
  }

  async insertAuditEvent(event: NewAuditEvent): Promise<void> {
    await this.write((tx) => tx.insertInto('audit_events').values(event).execute());
  }

  listAuditEvents(): Promise<Selectable<AuditEventRow>[]> {
    return this.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
  }

  /** Several writes that stand or fall together: the same as `write()`. */
  transaction<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.write(fn);
  }

  /** Lets queued writes finish, then closes the connection. */
  async close(): Promise<void> {
    await this.writer.drain();
    await this.db.destroy();
    await this.options.onClose?.();
  }
}

/** SQLite says SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY; PostgreSQL says SQLSTATE 23505. */
function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
