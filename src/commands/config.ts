import type { Command } from 'commander';
import { checkConfig } from '../config/check';
import { failWith, print } from './common';

/** `hsmca config check`: what an operator (or systemd's ExecStartPre) runs before `serve`. */
export function configCommands(program: Command): void {
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
}
