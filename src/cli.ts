#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, loadConfig } from './config/load';
import { createLogger } from './logger';
import { serveCommand } from './cluster';
import { AppError } from './errors';
import { caCommands } from './commands/ca';
import { identityCommands } from './commands/identity';
import { auditCommands } from './commands/audit';
import { certCommands } from './commands/cert';
import { configCommands } from './commands/config';
import { hsmCommands } from './commands/hsm';
import { dbCommands } from './commands/db';
import { UsageError } from './commands/common';

function build(): Command {
  const program = new Command('hsmca')
    .description('Certificate authority whose CA keys never leave a PKCS#11 HSM')
    .option('-c, --config <file>', 'config file (YAML or JSON); default $HSMCA_CONFIG')
    .showHelpAfterError();

  program.command('serve').description('run the HTTP(S) API').action(async () => {
    const config = loadConfig(program.opts().config);
    const log = createLogger(config.logLevel, config.logFormat);
    const url = await serveCommand(config, log, () => loadConfig(program.opts().config));
    if (url) process.stdout.write(`${JSON.stringify({ listening: url })}\n`);
  });
  caCommands(program);
  identityCommands(program);
  auditCommands(program);
  certCommands(program);
  configCommands(program);
  hsmCommands(program);
  dbCommands(program);
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
