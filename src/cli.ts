#!/usr/bin/env node
import { Command, Option } from 'commander';
import { loadConfig, ConfigError } from './config/load';
import { createLogger } from './logger';
import { openRuntime, type Runtime } from './runtime';
import { serveCommand } from './cluster';
import { createRootCa, listCas } from './services/create-root-ca';
import { createToken } from './auth/tokens';
import { ACTIONS, type Grant } from './auth/identity';
import { KEY_ALGORITHMS } from './keystore/keystore';
import { parseRfc3339 } from './api/validation-issues';
import { AppError } from './errors';

/** A command's result alone goes to stdout (JSON); logs and progress go to stderr. */
const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

class UsageError extends Error {}

function date(name: string, value: string): Date {
  const d = parseRfc3339(value) ?? (/^\d{4}-\d{2}-\d{2}$/.test(value) ? parseRfc3339(`${value}T00:00:00Z`) : undefined);
  if (!d) throw new UsageError(`${name}: '${value}' is not an ISO 8601 date (e.g. 2036-01-01T00:00:00Z)`);
  return d;
}

function grant(value: string, previous: Grant[] = []): Grant[] {
  const [action, ca = '*'] = value.split(':', 2);
  if (action !== '*' && !(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`--grant: unknown action '${action}' (one of *, ${ACTIONS.join(', ')})`);
  }
  return [...previous, { action: action as Grant['action'], ca }];
}

async function withRuntime<T>(program: Command, hsm: boolean, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig(program.opts().config);
  const rt = await openRuntime(config, createLogger(config.logLevel), { hsm });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

function build(): Command {
  const program = new Command('hsmca')
    .description('Certificate authority whose CA keys never leave a PKCS#11 HSM')
    .option('-c, --config <file>', 'config file (YAML or JSON); default $HSMCA_CONFIG')
    .showHelpAfterError();

  program.command('serve').description('run the HTTP API').action(async () => {
    const config = loadConfig(program.opts().config);
    const url = await serveCommand(config, createLogger(config.logLevel));
    if (url) process.stdout.write(`${JSON.stringify({ listening: url })}\n`);
  });

  const ca = program.command('ca').description('certificate authorities');
  ca.command('create-root')
    .description('generate a key in the token and self-sign a root CA certificate with it')
    .requiredOption('--name <name>', 'unique CA name')
    .addOption(new Option('--key-algorithm <alg>', 'key algorithm').choices([...KEY_ALGORITHMS]).makeOptionMandatory())
    .requiredOption('--not-after <iso>', 'end of validity, e.g. 2046-01-01T00:00:00Z')
    .option('--not-before <iso>', 'start of validity (default: now)')
    .option('--common-name <cn>', 'subject CN')
    .option('--organization <o>', 'subject O')
    .option('--ou <ou>', 'subject OU')
    .option('--country <c>', 'subject C (two letters)')
    .option('--province <st>', 'subject ST')
    .option('--locality <l>', 'subject L')
    .option('--max-path-length <n>', 'pathLen constraint; -1 for none', '-1')
    .action(async (o) => {
      const maxPathLength = Number(o.maxPathLength);
      if (!Number.isInteger(maxPathLength)) throw new UsageError('--max-path-length must be an integer');
      process.stderr.write(`generating ${o.keyAlgorithm} key in the token…\n`);
      print(await withRuntime(program, true, (rt) => createRootCa(rt.services!, {
        name: o.name, keyAlgorithm: o.keyAlgorithm, commonName: o.commonName, organization: o.organization,
        ou: o.ou, country: o.country, province: o.province, locality: o.locality,
        notBefore: o.notBefore ? date('--not-before', o.notBefore) : undefined,
        notAfter: date('--not-after', o.notAfter), maxPathLength,
      })));
    });
  ca.command('list').description('list CAs as JSON').action(async () => {
    print(await withRuntime(program, false, async (rt) => listCas({ store: rt.store } as never)));
  });

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
  return program;
}

/** One line on stderr and a non-zero exit: never a stack trace for an operator's mistake. */
function fail(e: unknown): never {
  const msg = e instanceof ConfigError ? e.message
    : e instanceof AppError && e.status < 500 ? e.message
    : e instanceof AppError ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}`
    : e instanceof Error ? e.message : String(e);
  process.stderr.write(`hsmca: ${msg.split('\n')[0]}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
}

build().parseAsync(process.argv).catch(fail);
