import type { Command } from 'commander';
import { sql } from 'kysely';
import { print, withRuntime } from './common';

/** `hsmca db migrate`: applies the forward-only migrations (also done by every command that opens the database). */
export function dbCommands(program: Command): void {
  const db = program.command('db').description('the database');
  db.command('migrate')
    .description('bring the schema up to date; refuses a schema newer than this build')
    .action(async () => print(await withRuntime(program, { hsm: false }, async (rt) => {
      const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(rt.store.db);
      return { engine: rt.store.dialect, applied: rt.store.appliedMigrations, current: rows.map((r) => r.name) };
    })));
}
