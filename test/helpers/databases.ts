import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * The machine's PostgreSQL for the scale-out backend (`.ci/run` sets it; trust auth). Without
 * it the PostgreSQL tests are skipped, loudly.
 */
export const PG_URL = process.env.HSMCA_TEST_PG_URL;

let warned = false;
/** Skips the calling suite when there is no PostgreSQL to test against, saying so once on stderr. */
export function requirePostgres(ctx: Mocha.Context): void {
  if (PG_URL) return;
  if (!warned) {
    warned = true;
    process.stderr.write('\n*** HSMCA_TEST_PG_URL is not set: the PostgreSQL tests are SKIPPED ***\n\n');
  }
  ctx.skip();
}

/** A fresh, empty database on the test server; `drop()` removes it. */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hsmca_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        // pg's Pool.end() resolves before its connections have finished closing: a FORCE drop
        // at once would terminate them mid-close, and the client would throw 57P01 uncaught.
        // So wait (bounded) for them to go by themselves; FORCE only for what is left.
        for (let i = 0; i < 50; i++) {
          const { rows } = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (rows[0].n === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export type Backend = 'sqlite' | 'postgres';

/** A new database of `backend` as HSMCA_DATABASE would name it, and how to remove it. */
export async function freshDatabase(backend: Backend): Promise<{ database: string; drop(): Promise<void> }> {
  if (backend === 'postgres') {
    const { url, drop } = await createPgDatabase();
    return { database: url, drop };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-db-'));
  return { database: path.join(dir, 'hsmca.db'), drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}
