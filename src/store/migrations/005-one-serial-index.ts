import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect';

/** The table as 001 and 002 left it, column by column (all text); `true` = NOT NULL. */
const COLUMNS: Array<[string, boolean]> = [
  ['id', true], ['ca_id', true], ['serial', true], ['kind', true], ['subject', true], ['not_before', true],
  ['not_after', true], ['der', true], ['sha256', true], ['identity', true], ['req_id', true], ['created_at', true],
  ['revoked_at', false], ['revocation_reason', false],
];
const NAMES = COLUMNS.map(([name]) => name);

/**
 * One index on issued certificates' serials instead of two. 001 indexed (ca_id, serial) for
 * uniqueness and (serial) for look-ups by serial alone; serials are random, so each index put
 * every issuance on a random leaf, one more page for every group commit to write. A unique index
 * on (serial, ca_id) does both jobs. SQLite cannot drop a table constraint, so there the table is
 * rebuilt (rows copied as they are, in the migration's transaction).
 */
export const oneSerialIndex = (dialect: Dialect): Migration => ({
  async up(db: Kysely<any>): Promise<void> {
    if (dialect === 'postgres') {
      await sql`ALTER TABLE certificates DROP CONSTRAINT certificates_issuer_serial`.execute(db);
    } else {
      let table = db.schema.createTable('certificates_005');
      for (const [name, notNull] of COLUMNS) {
        table = table.addColumn(name, 'text', (c) => (name === 'id' ? c.primaryKey() : notNull ? c.notNull() : c));
      }
      await table.execute();
      await db.insertInto('certificates_005').columns(NAMES)
        .expression(db.selectFrom('certificates').select(NAMES)).execute();
      await db.schema.dropTable('certificates').execute();
      await db.schema.alterTable('certificates_005').renameTo('certificates').execute();
    }
    await db.schema.dropIndex('certificates_serial').ifExists().execute();
    await db.schema.createIndex('certificates_serial_issuer').unique().on('certificates').columns(['serial', 'ca_id']).execute();
  },
});
