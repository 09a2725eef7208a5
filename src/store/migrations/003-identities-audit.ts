import crypto from 'node:crypto';
import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect';
import { eventHash, GENESIS_HASH } from '../../audit/canonical';

/**
 * Identities own grants and tokens; tokens are stored as keyed hashes; audit events form a hash
 * chain and are sealed by checkpoints signed in the HSM.
 *
 * Existing data is carried over: each 001 token becomes an identity of its own with the token's
 * grants, its SHA-256 hash is kept under `hash_scheme = 'sha256'` (re-hashed with the pepper the
 * first time it is used), and existing audit events are chained in `seq` order. The chain vouches
 * for those old events only from this migration on: before it, nothing protected them.
 */
export const identitiesAudit = (dialect: Dialect): Migration => ({
  async up(db: Kysely<any>): Promise<void> {
    const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
    await db.schema.createTable('identities')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('grants', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();

    // A client certificate maps to at most one identity: (kind, value) is unique.
    await db.schema.createTable('identity_client_certs')
      .addColumn('identity_id', 'text', (c) => c.notNull().references('identities.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_client_certs_pk', ['kind', 'value'])
      .execute();

    await db.schema.alterTable('tokens').addColumn('identity_id', 'text').execute();
    await db.schema.alterTable('tokens').addColumn('hash_scheme', 'text').execute();
    await migrateTokens(db);
    await db.schema.alterTable('tokens').dropColumn('grants').execute();
    await db.schema.createIndex('tokens_identity').on('tokens').column('identity_id').execute();

    for (const column of ['prev_hash', 'hash', 'credential', 'target']) {
      await db.schema.alterTable('audit_events').addColumn(column, 'text').execute();
    }
    await chainExistingEvents(db);

    await db.schema.createTable('audit_checkpoints')
      .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('event_seq', 'integer', (c) => c.notNull())
      .addColumn('head_hash', 'text', (c) => c.notNull())
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .execute();
  },
});

async function migrateTokens(db: Kysely<any>): Promise<void> {
  const tokens = await db.selectFrom('tokens').select(['id', 'name', 'grants', 'created_at']).orderBy('created_at').execute();
  const taken = new Set<string>();
  for (const t of tokens) {
    const name = taken.has(t.name) ? `${t.name}-${String(t.id).slice(0, 8)}` : t.name;
    taken.add(name);
    const identityId = crypto.randomUUID();
    await db.insertInto('identities').values({
      id: identityId, name, grants: t.grants, created_at: t.created_at, expires_at: null, revoked_at: null,
    }).execute();
    await db.updateTable('tokens').set({ identity_id: identityId, hash_scheme: 'sha256' }).where('id', '=', t.id).execute();
  }
}

async function chainExistingEvents(db: Kysely<any>): Promise<void> {
  const events = await db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
  let prevHash = GENESIS_HASH;
  for (const e of events) {
    const hash = eventHash({
      seq: Number(e.seq), prevHash, time: e.time, reqId: e.req_id, identity: e.identity, credential: null,
      action: e.action, caId: e.ca_id, target: null, outcome: e.outcome, status: Number(e.status),
      serial: e.serial, csrSha256: e.csr_sha256, client: e.client,
    });
    await db.updateTable('audit_events').set({ prev_hash: prevHash, hash }).where('seq', '=', e.seq).execute();
    prevHash = hash;
  }
}
