import type { WriteJob } from './batch-writer';
import type { Kysely } from 'kysely';
import { CompiledOnce } from './compiled';
import type { LookupCache } from './lookup-cache';
import type { Database, IdentityClientCertRow, IdentityRow, TokenRow } from './schema';

type ClientCertKey = Omit<IdentityClientCertRow, 'identity_id'>;

/** Identities, the client certificates that map to them, and their tokens. */
export class IdentityRepo {
  /** Reads go to `db`; every write goes through the group commit (`write`), durable when it resolves. */
  private readonly byId = new CompiledOnce<IdentityRow>(() => this.db.selectFrom('identities').selectAll().where('id', '=', ''));
  private readonly tokenByHash = new CompiledOnce<TokenRow>(() => this.db.selectFrom('tokens').selectAll()
    .where('hash', '=', '').where('hash_scheme', '=', 'hmac-sha256'));

  constructor(
    private readonly db: Kysely<Database>,
    private readonly write: <T>(job: WriteJob<Database, T>) => Promise<T>,
    private readonly lookups: LookupCache,
  ) {}

  async insertIdentity(row: IdentityRow, certs: ClientCertKey[]): Promise<void> {
    await this.write(async (tx) => {
      await tx.insertInto('identities').values(row).execute();
      if (certs.length) await tx.insertInto('identity_client_certs').values(certs.map((c) => ({ ...c, identity_id: row.id }))).execute();
    });
  }

  /** By id first, then by name (ids are UUIDs, so the two cannot be confused). */
  getIdentity(idOrName: string): Promise<IdentityRow | undefined> {
    return this.lookups.get(`identity:${idOrName}`, async () => (await this.byId.first(this.db, [idOrName]))
      ?? this.db.selectFrom('identities').selectAll().where('name', '=', idOrName).executeTakeFirst());
  }

  listIdentities(): Promise<IdentityRow[]> {
    return this.db.selectFrom('identities').selectAll().orderBy('created_at').orderBy('name').execute();
  }

  /** Changes what is given; `certs`, when given, replaces the identity's client certificate mappings. */
  async updateIdentity(id: string, patch: Partial<Pick<IdentityRow, 'grants' | 'expires_at' | 'revoked_at'>>, certs?: ClientCertKey[]): Promise<void> {
    await this.write(async (tx) => {
      if (Object.keys(patch).length) await tx.updateTable('identities').set(patch).where('id', '=', id).execute();
      if (!certs) return;
      await tx.deleteFrom('identity_client_certs').where('identity_id', '=', id).execute();
      if (certs.length) await tx.insertInto('identity_client_certs').values(certs.map((c) => ({ ...c, identity_id: id }))).execute();
    });
  }

  clientCerts(identityId: string): Promise<ClientCertKey[]> {
    return this.db.selectFrom('identity_client_certs').select(['kind', 'value'])
      .where('identity_id', '=', identityId).orderBy('kind').orderBy('value').execute();
  }

  /** The distinct identity ids any of `keys` maps to. */
  async identitiesForClientCert(keys: ClientCertKey[]): Promise<string[]> {
    if (!keys.length) return [];
    const rows = await this.db.selectFrom('identity_client_certs').select('identity_id')
      .where((eb) => eb.or(keys.map((k) => eb.and([eb('kind', '=', k.kind), eb('value', '=', k.value)]))))
      .execute();
    return [...new Set(rows.map((r) => r.identity_id))];
  }

  async insertToken(row: TokenRow): Promise<void> {
    await this.write((tx) => tx.insertInto('tokens').values(row).execute());
  }

  findTokenByHash(hash: string, scheme: TokenRow['hash_scheme']): Promise<TokenRow | undefined> {
    return this.lookups.get(`token:${scheme}:${hash}`, () => this.tokenByHash.first(this.db, [hash, scheme]));
  }

  getToken(id: string): Promise<TokenRow | undefined> {
    return this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listTokens(identityId: string): Promise<TokenRow[]> {
    return this.db.selectFrom('tokens').selectAll().where('identity_id', '=', identityId).orderBy('created_at').orderBy('id').execute();
  }

  async updateToken(id: string, patch: Partial<Pick<TokenRow, 'hash' | 'hash_scheme' | 'revoked_at'>>): Promise<void> {
    await this.write((tx) => tx.updateTable('tokens').set(patch).where('id', '=', id).execute());
  }
}
