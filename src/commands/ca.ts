import { Option, type Command } from 'commander';
import { KEY_ALGORITHMS } from '../keystore/keystore';
import { newRequestId } from '../http/request-id';
import { LOCAL_OPERATOR } from '../services/ca-access';
import { createCa } from '../services/create-ca';
import { caCsr } from '../services/ca-csr';
import { importCertificate } from '../services/import-certificate';
import { issueCaCertificate, renewCa } from '../services/ca-certificate';
import { deleteCa, getCa, getCaCertificate, listCas, updateCa } from '../services/ca-admin';
import { signIntermediate } from '../services/sign-intermediate';
import { date, integer, print, readText, withServices } from './common';
import { withProgress } from './progress';

const me = LOCAL_OPERATOR;

function createCommand(program: Command, ca: Command, name: string, fixedType?: 'root'): void {
  const cmd = ca.command(name)
    .description(fixedType ? 'create a root CA: key generated in the token, self-signed (= ca create --type root)'
      : 'create a CA whose key is generated in (or adopted from) the token')
    .requiredOption('--name <name>', 'unique CA name')
    .addOption(new Option('--key-algorithm <alg>', 'key algorithm').choices([...KEY_ALGORITHMS]))
    .option('--key-ref <uri>', 'adopt an existing key (RFC 7512 URI) instead of generating one')
    .option('--not-before <iso>', 'start of validity (default: now)')
    .option('--not-after <iso>', 'end of validity; a root with it is self-signed at once')
    .option('--common-name <cn>', 'subject CN').option('--organization <o>', 'subject O').option('--ou <ou>', 'subject OU')
    .option('--country <c>', 'subject C (two letters)').option('--province <st>', 'subject ST').option('--locality <l>', 'subject L')
    .option('--max-path-length <n>', 'pathLen constraint; -1 for none', '-1');
  if (!fixedType) cmd.addOption(new Option('--type <type>', 'root or intermediate').choices(['root', 'intermediate']).makeOptionMandatory());
  cmd.action(async (o) => {
    const input = {
      name: o.name, type: fixedType ?? o.type, keyAlgorithm: o.keyAlgorithm, keyRef: o.keyRef,
      commonName: o.commonName, organization: o.organization, ou: o.ou, country: o.country, province: o.province,
      locality: o.locality, notBefore: o.notBefore && date('--not-before', o.notBefore),
      notAfter: o.notAfter && date('--not-after', o.notAfter), maxPathLength: integer('--max-path-length', o.maxPathLength),
    };
    // RSA-4096 generation takes seconds in an HSM: show it is working.
    const label = `generating the ${o.keyAlgorithm} key pair in the token${input.type === 'root' && input.notAfter ? ' and self-signing' : ''}`;
    print(await withServices(program, (s) => (o.keyAlgorithm && !o.keyRef
      ? withProgress(label, () => createCa(s, input, me)) : createCa(s, input, me))));
  });
}

/** `hsmca ca …`: CLI twins of the internal-CA endpoints, over the same service functions. */
export function caCommands(program: Command): void {
  const ca = program.command('ca').description('certificate authorities');
  createCommand(program, ca, 'create');
  createCommand(program, ca, 'create-root', 'root');
  ca.command('list').description('list CAs').action(async () => print(await withServices(program, (s) => listCas(s, me))));
  ca.command('show <caId>').description('show a CA and its active certificate').action(async (id: string) =>
    print(await withServices(program, async (s) => {
      const view = await getCa(s, id, me);
      const cert = view.status === 'pending-certificate' ? undefined : await getCaCertificate(s, id, me);
      return { ...view, ...(cert ? { certificate: cert } : {}) };
    })));
  ca.command('csr <caId>').description('a CSR for an external parent, signed in the token').action(async (id: string) =>
    print(await withServices(program, (s) => caCsr(s, id, me))));
  ca.command('import <caId>').description('install a certificate an external parent issued for this CA')
    .requiredOption('--certificate <file>', 'PEM certificate (- for stdin)')
    .requiredOption('--chain <file>', 'PEM chain up to and including the root')
    .action(async (id: string, o) => print(await withServices(program, (s) =>
      importCertificate(s, id, { certificate: readText(o.certificate), certificateChain: readText(o.chain) }, me))));
  ca.command('certificate <caId>').description('self-sign a pending root, or have --parent sign a pending intermediate')
    .requiredOption('--not-after <iso>', 'end of validity').option('--not-before <iso>', 'start of validity')
    .option('--parent <caId>', 'internal parent CA').option('--max-path-length <n>', 'pathLen; -1: none or inherited', '-1')
    .action(async (id: string, o) => print(await withServices(program, (s) => issueCaCertificate(s, id, {
      notAfter: date('--not-after', o.notAfter), notBefore: o.notBefore && date('--not-before', o.notBefore),
      maxPathLength: integer('--max-path-length', o.maxPathLength), parentCaId: o.parent,
    }, me, newRequestId()))));
  ca.command('sign <caId>').description('sign an intermediate CA certificate for a CSR (= sign-intermediate)')
    .requiredOption('--csr <file>', 'PEM CSR (- for stdin)').requiredOption('--not-after <iso>', 'end of validity')
    .option('--not-before <iso>', 'start of validity').option('--max-path-length <n>', 'pathLen; -1: none or inherited', '-1')
    .action(async (id: string, o) => print(await withServices(program, (s) => signIntermediate(s, {
      caId: id, csr: readText(o.csr), notAfter: date('--not-after', o.notAfter),
      notBefore: o.notBefore && date('--not-before', o.notBefore), maxPathLength: integer('--max-path-length', o.maxPathLength),
      identity: me, reqId: newRequestId(),
    }))));
  ca.command('renew <caId>').description('same key, new certificate (pathLen kept)')
    .requiredOption('--not-after <iso>', 'end of validity')
    .action(async (id: string, o) => print(await withServices(program, (s) =>
      renewCa(s, id, { notAfter: date('--not-after', o.notAfter) }, me, newRequestId()))));
  for (const [verb, status] of [['disable', 'disabled'], ['enable', 'active']] as const) {
    ca.command(`${verb} <caId>`).description(`${verb} a CA`).action(async (id: string) =>
      print(await withServices(program, (s) => updateCa(s, id, { status }, me))));
  }
  ca.command('delete <caId>').description('remove the CA record (its key stays in the HSM)').action(async (id: string) =>
    print(await withServices(program, (s) => deleteCa(s, id, me))));
}
