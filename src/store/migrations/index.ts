import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../dialect';
import { initial } from './001-initial';
import { revocation } from './002-revocation';
import { identitiesAudit } from './003-identities-audit';
import { lookupEpoch } from './004-lookup-epoch';
import { oneSerialIndex } from './005-one-serial-index';

/** Forward-only, versioned migrations, applied in name order. Never edit one that has shipped. */
export const migrationProvider = (dialect: Dialect): MigrationProvider => ({
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '001-initial': initial(dialect),
      '002-revocation': revocation(),
      '003-identities-audit': identitiesAudit(dialect),
      '004-lookup-epoch': lookupEpoch(dialect),
      '005-one-serial-index': oneSerialIndex(dialect),
    };
  },
});
