#!/usr/bin/env node
import { Command, Option } from 'commander';
import { loadConfig, ConfigError } from './config/load';
import { createLogger } from './logger';
import { openRuntime } from './runtime';
import { serve } from './serve';
import { createRootCa, listCas } from './services/create-root-ca';
import { KEY_ALGORITHMS } from './keystore/keystore';
import { AppError } from './errors';
import { date, print, UsageError, withRuntime } from './cli/common';
import { identityCommands } from './cli/identity-commands';
import { auditCommands } from './cli/audit-commands';

function build(): Command {
  const program = new Command('hsmca')
    .description('Certificate authority whose CA keys never leave a PKCS#11 HSM')
    .option('-c, --config <file>', 'config file (YAML or JSON); default $HSMCA_CONFIG')
    .showHelpAfterError();

  program.command('serve').description('run the HTTP(S) API').action(async () => {
    const config = loadConfig(program.opts().config);
    const rt = await openRuntime(config, createLogger(config.logLevel), { hsm: true, auth: true });
    const { url } = await serve(rt);
    process.stdout.write(`${JSON.stringify({ listening: url })}\n`);
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
      print(await withRuntime(program, { hsm: true }, (rt) => createRootCa(rt.services!, {
        name: o.name, keyAlgorithm: o.keyAlgorithm, commonName: o.commonName, organization: o.organization,
        ou: o.ou, country: o.country, province: o.province, locality: o.locality,
        notBefore: o.notBefore ? date('--not-before', o.notBefore) : undefined,
        notAfter: date('--not-after', o.notAfter), maxPathLength,
      })));
    });
  ca.command('list').description('list CAs as JSON').action(async () => {
    print(await withRuntime(program, { hsm: false }, async (rt) => listCas({ store: rt.store } as never)));
  });

  identityCommands(program);
  auditCommands(program);
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
