export * from './schema';
export { Store, DuplicateSerialError } from './store';
export { openSqliteStore } from './open';
