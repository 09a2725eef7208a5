import type { Command } from 'commander';
import { ACTIONS, type Grant } from '../auth/identity';
import { createToken } from '../auth/tokens';
import { UsageError, date, print, withRuntime } from './common';

function grant(value: string, previous: Grant[] = []): Grant[] {
  const [action, ca = '*'] = value.split(':', 2);
  if (action !== '*' && !(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`--grant: unknown action '${action}' (one of *, ${ACTIONS.join(', ')})`);
  }
  return [...previous, { action: action as Grant['action'], ca }];
}

/** `hsmca token …`: bearer tokens; the secret is printed once and stored only as a hash. */
export function tokenCommands(program: Command): void {
  const token = program.command('token').description('API tokens');
  token.command('create')
    .description('create a bearer token; the secret is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'who the token is for')
    .option('--grant <action:ca>', 'allow an action on a CA id or name (repeatable; default *:*)', grant)
    .option('--expires-at <iso>', 'expiry (default: none)')
    .action(async (o) => {
      const expiresAt = o.expiresAt ? date('--expires-at', o.expiresAt) : undefined;
      print(await withRuntime(program, false, (rt) =>
        createToken(rt.store, { name: o.name, grants: o.grant ?? [{ action: '*', ca: '*' }], expiresAt })));
    });
}
