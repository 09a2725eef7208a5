import fs from 'node:fs';
import type { Command } from 'commander';
import { auditPublicKeys, openAuditSigner } from '../audit/audit-key';
import { signCheckpoint } from '../audit/checkpoint';
import { checkpointLine, eventLine, parseExport } from '../audit/export';
import { verifyAuditTrail, type VerifyReport } from '../audit/verify';
import { readPemBlocks, toPem } from '../ca/pem';
import { print, UsageError, withRuntime } from './common';

/** SPKI DER of every PUBLIC KEY block in the `--public-key` PEM files (as `audit public-key` prints them). */
function readPublicKeys(files: string[]): Buffer[] {
  return files.flatMap((f) => {
    try {
      const blocks = readPemBlocks(fs.readFileSync(f, 'utf8')).filter((b) => b.label === 'PUBLIC KEY');
      if (!blocks.length) throw new Error('no PUBLIC KEY block');
      return blocks.map((b) => b.der);
    } catch (e) {
      throw new UsageError(`--public-key ${f}: ${(e as Error).message}`);
    }
  });
}

/** The trail from an export file or the database; trusted keys from files or the HSM. */
async function verifyTrail(program: Command, o: { file?: string; publicKey?: string[] }): Promise<VerifyReport> {
  const keys = o.publicKey ? readPublicKeys(o.publicKey) : undefined;
  if (o.file) {
    if (!keys) throw new UsageError('--file needs --public-key (the export carries no trusted key)');
    const trail = parseExport(fs.readFileSync(o.file, 'utf8'));
    return verifyAuditTrail(trail.events, trail.checkpoints, keys);
  }
  return withRuntime(program, { hsm: !keys }, async (rt) => verifyAuditTrail(
    await rt.store.audit.events(), await rt.store.audit.checkpoints(),
    keys ?? await auditPublicKeys(rt.keyStore!, rt.config.audit.keyLabel)));
}

/** `hsmca audit …`: verify the chain and its signed checkpoints, export it, sign a checkpoint now. */
export function auditCommands(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit trail and its HSM-signed checkpoints');

  audit.command('verify')
    .description('check every event hash, every link and every checkpoint signature; name the first bad event')
    .option('--public-key <pem>', 'trust this audit public key instead of reading it from the HSM (repeatable)',
      (v: string, p: string[] = []) => [...p, v])
    .option('--file <jsonl>', 'verify an export (hsmca audit export) instead of the database; needs --public-key')
    .action(async (o) => {
      const report = await verifyTrail(program, o);
      print(report);
      if (!report.ok) throw new Error(`audit trail is NOT intact: ${report.firstBad!.message}`);
    });

  audit.command('export')
    .description('write the trail as JSON lines: events in order, then checkpoints')
    .option('--out <file>', 'write here instead of stdout')
    .action((o) => withRuntime(program, { hsm: false }, async (rt) => {
      const lines = [...(await rt.store.audit.events()).map(eventLine), ...(await rt.store.audit.checkpoints()).map(checkpointLine)];
      const text = lines.map((l) => `${l}\n`).join('');
      if (o.out) fs.writeFileSync(o.out, text, { mode: 0o600 });
      else process.stdout.write(text);
    }));

  audit.command('checkpoint').description('sign a checkpoint of the current head now')
    .action(() => withRuntime(program, { hsm: true }, async (rt) => {
      const row = await signCheckpoint(rt.store, await openAuditSigner(rt.keyStore!, rt.config.audit.keyLabel));
      print(row ?? { signed: false, reason: 'the chain is empty or its head is already checkpointed' });
    }));

  audit.command('public-key').description('print the audit public key(s) as PEM (the key is made in the token if missing)')
    .action(() => withRuntime(program, { hsm: true }, async (rt) => {
      await openAuditSigner(rt.keyStore!, rt.config.audit.keyLabel);
      const keys = await auditPublicKeys(rt.keyStore!, rt.config.audit.keyLabel);
      process.stdout.write(keys.map((k) => `${toPem(k, 'PUBLIC KEY')}\n`).join(''));
    }));
}
