/** The database engines behind the one query layer. */
export type Dialect = 'sqlite' | 'postgres';
