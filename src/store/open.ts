import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Database } from './schema';
import { migrationProvider } from './migrations';
import { Store } from './store';

/**
 * Opens (creating if needed) the SQLite database and brings its schema up to date.
 * WAL with synchronous=FULL: a committed transaction is on disk before the call returns,
 * so a 200 is never sent for a certificate a power cut could lose.
 */
export async function openSqliteStore(file: string): Promise<Store> {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrate(db, 'sqlite');
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return new Store(db, 'sqlite');
}

async function migrate(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    // Kysely refuses a database that has run migrations this build does not know:
    // that is a schema newer than this daemon, and it must not touch it.
    const msg = (error as Error).message ?? String(error);
    throw new Error(failed ? `database migration ${failed} failed: ${msg}` : `database schema problem: ${msg}`);
  }
}
