import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect';

/**
 * The tables every request reads (who holds a token, what it may do, the CA it names), so that
 * a daemon may keep their rows in memory: a one-row counter that triggers bump on every write
 * to any of them, by any writer — this daemon, another replica, the CLI, a hand-made UPDATE.
 * A reader that finds the counter unchanged knows its copies are current (`LookupCache`).
 */
export const LOOKUP_TABLES = ['cas', 'identities', 'identity_client_certs', 'tokens'] as const;

export const lookupEpoch = (dialect: Dialect): Migration => ({
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('lookup_epoch')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('n', 'bigint', (c) => c.notNull())
      .execute();
    await db.insertInto('lookup_epoch').values({ id: 1, n: 0 }).execute();
    if (dialect === 'postgres') {
      await sql`CREATE FUNCTION hsmca_bump_lookup_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN UPDATE lookup_epoch SET n = n + 1 WHERE id = 1; RETURN NULL; END $$`.execute(db);
      for (const table of LOOKUP_TABLES) {
        await sql.raw(`CREATE TRIGGER ${table}_lookup_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION hsmca_bump_lookup_epoch()`).execute(db);
      }
      return;
    }
    // SQLite has row triggers only, one event each.
    for (const table of LOOKUP_TABLES) {
      for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
        await sql.raw(`CREATE TRIGGER ${table}_lookup_epoch_${event.toLowerCase()} AFTER ${event} ON ${table}
          BEGIN UPDATE lookup_epoch SET n = n + 1 WHERE id = 1; END`).execute(db);
      }
    }
  },
});
