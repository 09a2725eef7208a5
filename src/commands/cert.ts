import { Option, type Command } from 'commander';
import { REVOCATION_REASONS, type RevocationReason } from '../ca/crl';
import { LOCAL_OPERATOR } from '../services/ca-access';
import { caCrls } from '../services/crl';
import { getCertificate, listIssuedCertificates, revokeCertificate } from '../services/revocation';
import { integer, print, withServices } from './common';

/** `hsmca cert …` and `hsmca ca crl`: CLI twins of the certificate and CRL endpoints. */
export function certCommands(program: Command): void {
  const cert = program.command('cert').description('certificates the daemon issued');
  cert.command('show <id>').description('a certificate by id or serial number').action(async (id: string) =>
    print(await withServices(program, (s) => getCertificate(s, id, LOCAL_OPERATOR))));
  cert.command('list <caId>').description("a CA's issued certificates, oldest first")
    .option('--offset <n>', 'skip this many', '0').option('--limit <n>', 'at most this many', '100')
    .action(async (caId: string, o) => print(await withServices(program, (s) => listIssuedCertificates(s, caId,
      { offset: integer('--offset', o.offset), limit: integer('--limit', o.limit) }, LOCAL_OPERATOR))));
  cert.command('revoke <id>').description('revoke, and re-sign the CRL of its CA')
    .addOption(new Option('--reason <reason>', 'revocation reason').choices(Object.keys(REVOCATION_REASONS)).default('UNSPECIFIED'))
    .action(async (id: string, o) => print(await withServices(program, (s) =>
      revokeCertificate(s, id, o.reason as RevocationReason, LOCAL_OPERATOR))));
  program.commands.find((c) => c.name() === 'ca')!.command('crl <caId>').description("the CA's current CRL (PEM in JSON)")
    .action(async (caId: string) => print(await withServices(program, (s) => caCrls(s, caId, LOCAL_OPERATOR))));
}
