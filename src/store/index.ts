export * from './schema';
export { Store, DuplicateSerialError } from './store';
export { openSqliteStore } from './open';
export { openPostgresStore } from './open-postgres';
export { openStore, isPostgresUrl } from './open-store';
export { migrate, SchemaTooNewError } from './migrate';
