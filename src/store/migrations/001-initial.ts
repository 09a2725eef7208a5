import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect';

/** The first schema: CAs, their certificates, issued certificates, tokens, audit events. */
export const initial = (dialect: Dialect): Migration => ({
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('cas')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('key_algorithm', 'text', (c) => c.notNull())
      .addColumn('key_ref', 'text', (c) => c.notNull())
      .addColumn('configuration', 'text', (c) => c.notNull())
      .addColumn('parent_ca_id', 'text')
      .addColumn('active_ca_cert_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema.createTable('ca_certificates')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('ca_id', 'text', (c) => c.notNull().references('cas.id').onDelete('cascade'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('serial', 'text', (c) => c.notNull())
      .addColumn('der', 'text', (c) => c.notNull())
      .addColumn('chain_pem', 'text', (c) => c.notNull())
      .addColumn('not_before', 'text', (c) => c.notNull())
      .addColumn('not_after', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('ca_certificates_ca_version', ['ca_id', 'version'])
      .execute();

    // No foreign key to cas: the record of what was issued outlives a deleted CA record.
    await db.schema.createTable('certificates')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('ca_id', 'text', (c) => c.notNull())
      .addColumn('serial', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('not_before', 'text', (c) => c.notNull())
      .addColumn('not_after', 'text', (c) => c.notNull())
      .addColumn('der', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('identity', 'text', (c) => c.notNull())
      .addColumn('req_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('certificates_issuer_serial', ['ca_id', 'serial'])
      .execute();
    await db.schema.createIndex('certificates_serial').on('certificates').column('serial').execute();

    await db.schema.createTable('tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('grants', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();

    await db.schema.createTable('audit_events')
      .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('req_id', 'text', (c) => c.notNull())
      .addColumn('identity', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('ca_id', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('serial', 'text')
      .addColumn('csr_sha256', 'text')
      .addColumn('client', 'text')
      .execute();
  },
});
