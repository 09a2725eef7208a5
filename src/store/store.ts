import type { Kysely, Transaction } from 'kysely';
import { AuditRepo } from './audit-repo';
import { isUniqueViolation } from './unique-violation';
import type { Dialect } from './dialect';
import { IdentityRepo } from './identity-repo';
import type { AuditEventRow, CaCertificateRow, CaRow, CertificateRow, Database } from './schema';

/** Raised when an issuer already has a certificate with this serial: the caller draws again. */
export class DuplicateSerialError extends Error {
  constructor() {
    super('duplicate serial for this issuer');
    this.name = 'DuplicateSerialError';
  }
}

/**
 * The one query layer over SQLite or PostgreSQL. Services call these methods; nothing else
 * writes SQL. Every write that must be durable before a response is sent is awaited here.
 */
export class Store {
  readonly identities: IdentityRepo;
  readonly audit: AuditRepo;

  constructor(readonly db: Kysely<Database>, readonly dialect: Dialect = 'sqlite') {
    this.identities = new IdentityRepo(db);
    this.audit = new AuditRepo(db, dialect);
  }

  async insertCa(ca: CaRow, cert?: CaCertificateRow): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
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
      await this.db.insertInto('certificates').values(row).execute();
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

  /** The audit trail in chain order. */
  listAuditEvents(): Promise<AuditEventRow[]> {
    return this.audit.events();
  }

  transaction<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
