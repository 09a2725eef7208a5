import { Migrator, sql, type Kysely } from 'kysely';
import type { Dialect } from './dialect';
import { migrationProvider } from './migrations';
import type { Database } from './schema';

/** A database this build must not touch: its schema is newer than the migrations it knows. */
export class SchemaTooNewError extends Error {
  constructor(unknown: string[]) {
    super(`database schema is newer than this hsmca (it has migration ${unknown.join(', ')}): upgrade hsmca, never downgrade a database`);
    this.name = 'SchemaTooNewError';
  }
}

/** Names of the migrations already applied to `db` (none for a new database). */
async function applied(db: Kysely<Database>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === 'kysely_migration')) return [];
  const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db);
  return rows.map((r) => r.name);
}

/**
 * Brings the schema up to date with the forward-only migrations, once, under kysely's
 * migration lock (so replicas starting together do not race). Refuses a schema newer than
 * this build knows, naming what it found. Resolves with the migrations it applied.
 */
export async function migrate(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const provider = migrationProvider(dialect);
  const known = new Set(Object.keys(await provider.getMigrations()));
  const unknown = (await applied(db)).filter((name) => !known.has(name));
  if (unknown.length) throw new SchemaTooNewError(unknown);
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const msg = (error as Error).message ?? String(error);
    throw new Error(failed ? `database migration ${failed} failed: ${msg}` : `database schema problem: ${msg}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
