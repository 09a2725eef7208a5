import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema';
import { migrate } from './migrate';
import { Checkpointer, MAX_WAL_BYTES } from './checkpointer';
import { cachingDatabase } from './statement-cache';
import { Store } from './store';
import { WalSync } from './wal-sync';

/** How long a statement waits for a lock another connection holds (a write lock: see below). */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) the SQLite database and brings its schema up to date.
 *
 * Durability: every write goes through the store's group-commit writer, which resolves only
 * after the WAL holding its COMMIT was fdatasync'ed (`WalSync`), so a 200 is never sent for a
 * certificate a power cut could lose. SQLite itself runs with `synchronous = NORMAL` only so that
 * it does not also fsync on the event loop at each commit; checkpoints run on a worker thread.
 */
export async function openSqliteStore(file: string, warn: (msg: string) => void = () => {}): Promise<Store> {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  // Created owner-only whatever the umask: it holds every certificate and the audit trail.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o004) warn(`database ${file} is readable by every user (mode ${mode.toString(8)}): chmod 600 it`);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('wal_autocheckpoint = 0');
  // When this connection rewinds the WAL, it cuts a WAL that grew past the bound back to it.
  sqlite.pragma(`journal_size_limit = ${MAX_WAL_BYTES}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  let applied: string[] = [];
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(sqlite) }) });
  const wal = new WalSync(`${sqlite.name}-wal`);
  let checkpointer: Checkpointer | undefined;
  try {
    applied = await migrate(db, 'sqlite');
    // The schema writes above were not synced one by one: make them durable before anything else.
    await wal.sync();
    checkpointer = new Checkpointer(sqlite.name, { onFailure: warn });
  } catch (e) {
    wal.close();
    await db.destroy();
    throw e;
  }
  const store = new Store(db, 'sqlite', {
    afterCommit: () => wal.sync(),
    beginNow: beginImmediateNow(sqlite),
    async onClose() {
      await checkpointer?.close();
      wal.close();
    },
  });
  store.appliedMigrations = applied;
  return store;
}

/**
 * BEGIN IMMEDIATE that throws SQLITE_BUSY at once while another process (another worker, the CLI)
 * holds the write lock. SQLite's busy handler would instead sleep 1, 2, 5, 10… ms inside the
 * statement, with the event loop stopped: measured at ~34 such sleeps a second under load with
 * two workers. The group-commit writer waits for the lock with the loop free instead.
 */
function beginImmediateNow(sqlite: SQLite.Database): () => void {
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  // Not prepared once: SQLite applies `PRAGMA busy_timeout` when it compiles the statement.
  return () => {
    sqlite.pragma('busy_timeout = 0');
    try {
      begin.run();
    } finally {
      sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  };
}
