/**
 * Queries on the request path, compiled once. kysely builds, freezes, visits and compiles a query
 * object on every call (~20–40 µs each, a sixth of a request's CPU before this); the SQL text of
 * these queries never changes, only their parameters, so it is compiled on first use (in the
 * store's own dialect) and then run as a `CompiledQuery` with the new parameters.
 */
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/**
 * A query built once. `params` replace its leading parameters, in the order they appear in the
 * SQL; the rest keep the values it was built with (e.g. a constant `id = 1`). A LIMIT belongs in
 * the SQL as `sql.lit`: SQLite re-plans a statement whose bound LIMIT changes (see AuditRepo).
 */
export class CompiledOnce<R> {
  private compiled?: CompiledQuery<R>;

  constructor(private readonly build: () => Compilable<R>) {}

  async rows(db: Kysely<any>, params: readonly unknown[]): Promise<R[]> {
    this.compiled ??= this.build().compile();
    const { sql, parameters } = this.compiled;
    const values = params.length === parameters.length ? [...params] : [...params, ...parameters.slice(params.length)];
    return (await db.executeQuery<R>(CompiledQuery.raw(sql, values))).rows;
  }

  async first(db: Kysely<any>, params: readonly unknown[]): Promise<R | undefined> {
    return (await this.rows(db, params))[0];
  }
}

/**
 * INSERTs of whole rows, compiled once per table and column list: the row's values, in its own
 * key order, are the parameters.
 */
export class CompiledInserts {
  private readonly sql = new Map<string, string>();

  constructor(private readonly db: Kysely<any>) {}

  async insert(tx: Kysely<any>, table: string, row: object): Promise<void> {
    const columns = Object.keys(row);
    const key = `${table}\0${columns.join('\0')}`;
    let text = this.sql.get(key);
    if (text === undefined) {
      const placeholders = Object.fromEntries(columns.map((c) => [c, null]));
      text = this.db.insertInto(table).values(placeholders).compile().sql;
      this.sql.set(key, text);
    }
    await tx.executeQuery(CompiledQuery.raw(text, Object.values(row)));
  }
}
