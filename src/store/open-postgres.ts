import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrate } from './migrate';
import type { Database } from './schema';
import { Store } from './store';

const INT8 = 20;

/**
 * Opens a PostgreSQL database (`postgres://user@host:5432/db`; the password from the URL,
 * PGPASSWORD or ~/.pgpass) and brings its schema up to date. A COMMIT is durable when it
 * returns (synchronous_commit), and PostgreSQL already flushes concurrent commits together,
 * so the group-commit writer needs no extra barrier here.
 */
export async function openPostgresStore(url: string, poolSize = 10): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // bigint (count(*), bigserial) as a JS number: ours never leave the safe-integer range.
    types: { getTypeParser: ((oid: number, format?: string) =>
      oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser },
  });
  let applied: string[] = [];
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    applied = await migrate(db, 'postgres');
  } catch (e) {
    await db.destroy();
    throw e;
  }
  const store = new Store(db, 'postgres');
  store.appliedMigrations = applied;
  return store;
}
