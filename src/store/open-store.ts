import { openPostgresStore } from './open-postgres';
import { openSqliteStore } from './open';
import type { Store } from './store';

/** `postgres://…` (or `postgresql://…`) selects PostgreSQL; anything else is a SQLite file path. */
export const isPostgresUrl = (database: string): boolean => /^postgres(ql)?:\/\//.test(database);

/** Opens the configured database, whichever engine it is, with its schema up to date. */
export function openStore(database: string, warn: (msg: string) => void = () => {}): Promise<Store> {
  return isPostgresUrl(database) ? openPostgresStore(database) : openSqliteStore(database, warn);
}
