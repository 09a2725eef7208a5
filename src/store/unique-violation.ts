/** SQLite says SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY; PostgreSQL says SQLSTATE 23505. */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
