import type { Command } from 'commander';
import { checkConfig } from '../config/check';
import { loadConfig } from '../config/load';
import { createLogger } from '../logger';
import { openRuntime } from '../runtime';
import { hsmCheck, type HsmCheck } from './hsm-check';

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** One `hsmca: …` line per problem on stderr, and a failing exit code (stdout is flushed first). */
function failWith(problems: string[]): void {
  for (const p of problems) process.stderr.write(`hsmca: ${p}\n`);
  process.exitCode = 1;
}

/** The one line an operator reads first: what failed, by name. */
function failureSummary(report: HsmCheck): string {
  if ('error' in report.module) return `PKCS#11 module: ${report.module.error}`;
  if (report.login.error) return report.login.error;
  if (report.health && !report.health.ok) return `readiness test signature: ${report.health.error}`;
  return `test signature failed for ${report.keys.filter((k) => !k.ok).map((k) => k.ca ?? k.keyRef).join(', ')}`;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `hsmca config check` and `hsmca hsm check`: what an operator runs before `serve`. */
export function registerCheckCommands(program: Command): void {
  program.command('config')
    .description('configuration')
    .command('check')
    .description('print the resolved configuration (secrets redacted) and every problem at once')
    .action(() => {
      const report = checkConfig(program.opts().config);
      print(report);
      for (const w of report.warnings) process.stderr.write(`hsmca: warning: ${w}\n`);
      if (report.problems.length) failWith(report.problems);
    });

  program.command('hsm')
    .description('the PKCS#11 module and token')
    .command('check')
    .description('list slots and tokens; test-sign with each CA key (and --key URIs), with latency')
    .option('--key <uri>', 'also test this PKCS#11 URI, e.g. a key made in a ceremony before adopting it (repeatable)', collect)
    .action(async (o: { key?: string[] }) => {
      const config = loadConfig(program.opts().config);
      const rt = await openRuntime(config, createLogger(config.logLevel, config.logFormat), { hsm: false });
      try {
        const report = await hsmCheck(config, rt.store, o.key ?? []);
        print(report);
        if (!report.ok) failWith([failureSummary(report)]);
      } finally {
        await rt.close();
      }
    });
}
