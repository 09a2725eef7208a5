import type { Command } from 'commander';
import { collect, failWith, print, withRuntime } from './common';
import { hsmCheck, type HsmCheck } from './hsm-check';

/** The one line an operator reads first: what failed, by name. */
function failureSummary(report: HsmCheck): string {
  if ('error' in report.module) return `PKCS#11 module: ${report.module.error}`;
  if (report.login.error) return report.login.error;
  if (report.health && !report.health.ok) return `readiness test signature: ${report.health.error}`;
  return `test signature failed for ${report.keys.filter((k) => !k.ok).map((k) => k.ca ?? k.keyRef).join(', ')}`;
}

/** `hsmca hsm check`: what an HSM administrator runs after installing a module or a key. */
export function hsmCommands(program: Command): void {
  program.command('hsm')
    .description('the PKCS#11 module and token')
    .command('check')
    .description('list slots and tokens; test-sign with each CA key (and --key URIs), with latency')
    .option('--key <uri>', 'also test this PKCS#11 URI, e.g. a key made in a ceremony before adopting it (repeatable)', collect)
    .action(async (o: { key?: string[] }) => {
      // The token is opened by the check itself, so that a failed login is reported, not thrown.
      const report = await withRuntime(program, { hsm: false }, (rt) => hsmCheck(rt.config, rt.store, o.key ?? []));
      print(report);
      if (!report.ok) failWith([failureSummary(report)]);
    });
}
