import type { Kysely, Migration } from 'kysely';

/** Revocation state on issued certificates, and the CRLs each CA signed (numbered per CA). */
export const revocation = (): Migration => ({
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('certificates').addColumn('revoked_at', 'text').execute();
    await db.schema.alterTable('certificates').addColumn('revocation_reason', 'text').execute();
    await db.schema.createTable('crls')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('ca_id', 'text', (c) => c.notNull())
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('this_update', 'text', (c) => c.notNull())
      .addColumn('next_update', 'text', (c) => c.notNull())
      .addColumn('der', 'text', (c) => c.notNull())
      .addUniqueConstraint('crls_ca_number', ['ca_id', 'number'])
      .execute();
  },
});
