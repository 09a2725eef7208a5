import type { Command } from 'commander';
import type { Grant } from '../auth/identity';
import type { Runtime } from '../runtime';
import {
  createIdentity, getIdentity, listIdentities, revokeIdentity, updateIdentity, type IdentityChanges,
} from '../services/identities';
import {
  createAdminToken, createIdentityToken, createIdentityWithToken, listIdentityTokens, revokeToken,
} from '../services/identity-tokens';
import { audited, collect, date, grant, print, UsageError, withRuntime } from './common';

const sameGrant = (a: Grant, b: Grant): boolean => a.action === b.action && a.ca === b.ca;

/** `--expires-at ISO` or `--expires-at none`. */
const expiry = (value: string | undefined): Date | null | undefined =>
  value === undefined ? undefined : value === 'none' ? null : date('--expires-at', value);

/** `hsmca identity …` and `hsmca token …`: everything the admin API does, for the operator. */
export function identityCommands(program: Command): void {
  const run = <T>(fn: (rt: Runtime) => Promise<T>): Promise<void> =>
    withRuntime(program, { hsm: false, auth: true }, fn).then(print);
  const identityTarget = (v: { id: string }): string => `identity:${v.id}`;
  const tokenTarget = (v: { id: string }): string => `token:${v.id}`;

  const identity = program.command('identity').description('identities: who may do what on which CA');
  identity.command('create')
    .description('create an identity with grants (no token yet: see token create --identity)')
    .requiredOption('--name <name>', 'unique name')
    .option('--grant <action:ca>', 'allow an action on a CA id, CA name or * (repeatable)', grant)
    .option('--expires-at <iso>', 'after this, every credential of the identity is refused (403 TokenError)')
    .option('--client-subject <dn>', 'client-certificate subject DN that authenticates as it (repeatable)', collect)
    .option('--client-san <san>', 'client-certificate subjectAltName dns:…, email:… or uri:… (repeatable)', collect)
    .action((o) => run((rt) => audited(rt, identityTarget, () => createIdentity(rt.auth!, {
      name: o.name, grants: o.grant ?? [], expiresAt: expiry(o.expiresAt), clientSubjects: o.clientSubject, clientSans: o.clientSan,
    }))));
  identity.command('list').description('list identities').action(() => run((rt) => listIdentities(rt.auth!)));
  identity.command('show <identity>').description('an identity (id or name) and its tokens')
    .action((name: string) => run(async (rt) => ({
      ...(await getIdentity(rt.auth!, name)), tokens: await listIdentityTokens(rt.auth!, name),
    })));
  identity.command('update <identity>')
    .description('replace what is given: all grants, the expiry (ISO or none), the client-certificate mappings')
    .option('--grant <action:ca>', 'the new grant list (repeatable)', grant)
    .option('--expires-at <iso|none>', 'new expiry, or none')
    .option('--client-subject <dn>', 'the new subject mappings (repeatable)', collect)
    .option('--client-san <san>', 'the new subjectAltName mappings (repeatable)', collect)
    .option('--no-client-certs', 'remove every client-certificate mapping')
    .action((name: string, o) => {
      const changes: IdentityChanges = { grants: o.grant, expiresAt: expiry(o.expiresAt), clientSubjects: o.clientSubject, clientSans: o.clientSan };
      if (o.clientCerts === false) Object.assign(changes, { clientSubjects: [], clientSans: [] });
      return run((rt) => audited(rt, identityTarget, () => updateIdentity(rt.auth!, name, changes)));
    });
  for (const [command, add] of [['grant', true], ['ungrant', false]] as const) {
    identity.command(`${command} <identity> <action:ca...>`)
      .description(add ? 'add grants' : 'remove grants')
      .action((name: string, texts: string[]) => run((rt) => audited(rt, identityTarget, async () => {
        const given = texts.reduce<Grant[]>((acc, t) => grant(t, acc), []);
        const current = (await getIdentity(rt.auth!, name)).grants;
        const grants = add ? [...current, ...given.filter((g) => !current.some((c) => sameGrant(c, g)))]
          : current.filter((c) => !given.some((g) => sameGrant(c, g)));
        return updateIdentity(rt.auth!, name, { grants });
      })));
  }
  identity.command('revoke <identity>').description('revoke an identity: all its tokens and certificate mappings stop working')
    .action((name: string) => run((rt) => audited(rt, identityTarget, () => revokeIdentity(rt.auth!, name))));

  const token = program.command('token').description('bearer tokens (the secret is printed once, stored only as a keyed hash)');
  token.command('create')
    .description('a token for --identity; or, with --name, a new identity (--admin, or --grant …) and its first token')
    .option('--identity <identity>', 'existing identity (id or name)')
    .option('--name <name>', 'with --identity: a label for the token; otherwise the new identity\'s name')
    .option('--admin', 'the identity administers identities (manage-identities on *): bootstraps the first administrator')
    .option('--grant <action:ca>', 'grants of the new identity (repeatable)', grant)
    .option('--expires-at <iso>', 'token expiry (default: none)')
    .action((o) => {
      const expiresAt = o.expiresAt ? date('--expires-at', o.expiresAt) : undefined;
      if (o.identity) {
        if (o.admin || o.grant) throw new UsageError('--admin and --grant describe a new identity: not with --identity');
        return run((rt) => audited(rt, tokenTarget, () => createIdentityToken(rt.auth!, o.identity, { name: o.name, expiresAt })));
      }
      if (!o.name) throw new UsageError('give --identity, or --name with --admin or --grant');
      if (o.admin) return run((rt) => audited(rt, tokenTarget, () => createAdminToken(rt.auth!, o.name, { expiresAt })));
      if (!o.grant) throw new UsageError('a new identity needs --grant action:ca (or --admin)');
      return run((rt) => audited(rt, tokenTarget, () => createIdentityWithToken(rt.auth!, { name: o.name, grants: o.grant }, { expiresAt })));
    });
  token.command('list').description('tokens of an identity (never their secrets)').requiredOption('--identity <identity>', 'id or name')
    .action((o) => run((rt) => listIdentityTokens(rt.auth!, o.identity)));
  token.command('revoke <tokenId>').description('revoke a token (401 from then on)')
    .action((id: string) => run((rt) => audited(rt, tokenTarget, () => revokeToken(rt.auth!, id))));
}
