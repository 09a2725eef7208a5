/**
 * kysely's SQLite driver prepares every statement anew on each query (~10–20 µs on the request
 * path); the SQL text of our queries repeats, so the prepared statements are kept and reused.
 * better-sqlite3 statements are reusable with new parameters; kysely runs one at a time.
 */
import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

const MAX_STATEMENTS = 500;

export function cachingDatabase(db: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql) as unknown as SqliteStatement;
        // Statements with ad-hoc SQL (e.g. IN lists of varying length) must not grow it forever.
        if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value as string);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}
