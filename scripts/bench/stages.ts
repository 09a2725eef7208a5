/**
 * `tsx scripts/bench/stages.ts [--ca P-256|RSA-2048|P-384]`: CPU per request of each stage of
 * sign-intermediate, in process (no HTTP), on a fresh SoftHSM token and SQLite file: what the
 * daemon's request costs beyond these is HTTP, middleware and audit. CPU is process.cpuUsage()
 * (all threads, so C_Sign on libuv's pool counts), 32 requests in flight for the async stages.
 */
import crypto from 'node:crypto';
import { checkCsr } from '../../src/ca/csr';
import { signCertificate, splitCertificate } from '../../src/ca/certificate';
import { recordAuditEvent } from '../../src/audit/trail';
import { signIntermediate } from '../../src/services/sign-intermediate';
import { LOCAL_OPERATOR } from '../../src/services/ca-access';
import { usableIssuer } from '../../src/services/issue-child';
import { opensslCsr } from '../../test/helpers/csr-factory';
import { startHarness } from '../../test/helpers/harness';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ALG: Record<string, string> = { 'P-256': 'EC_prime256v1', 'P-384': 'EC_secp384r1', 'RSA-2048': 'RSA_2048' };

const only = arg('only', '');

async function cpuPer(label: string, n: number, concurrency: number, fn: (i: number) => unknown): Promise<void> {
  if (only && !label.startsWith(only)) return;
  let next = 0;
  const run = async (): Promise<void> => { while (next < n) await fn(next++); };
  await Promise.all(Array.from({ length: concurrency }, run)); // warm-up
  next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, run));
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(44)} ${((c.user + c.system) / n).toFixed(1).padStart(8)} µs CPU/op ${(n / ms * 1000).toFixed(0).padStart(7)} op/s`);
}

async function main(): Promise<void> {
  const h = await startHarness();
  const ca = await h.createRoot({ keyAlgorithm: ALG[arg('ca', 'P-256')] as never });
  const { csr } = opensslCsr('P-256');
  const n = Number(arg('n', '4000'));
  const input = { caId: ca.id, csr, notAfter: new Date('2036-01-01T00:00:00Z'), maxPathLength: 0, identity: LOCAL_OPERATOR, reqId: 'bench' };
  const parsed = checkCsr(csr);
  const key = crypto.createPublicKey({ key: parsed.spkiDer, format: 'der', type: 'spki' });
  const sig = crypto.sign('sha256', Buffer.alloc(600), crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  await cpuPer('crypto.verify P-256 (KeyObject)', n, 1, () => crypto.verify('sha256', Buffer.alloc(600), key, sig));
  await cpuPer('checkCsr (parse + verify)', n, 1, () => checkCsr(csr));
  await cpuPer('audit event (hash chain append, group commit)', n, 32, (i) => recordAuditEvent(h.store, {
    time: new Date(), reqId: `r${i}`, identity: 'x', credential: 'token:x', action: 'sign-intermediate', caId: ca.id,
    target: null, outcome: 'issued', status: 200, serial: 'ab'.repeat(20), csrSha256: 'cd'.repeat(32), client: '127.0.0.1',
  }));
  const caRow = (await h.store.getCa(ca.id))!;
  const { issuer } = await h.services.issuers.get(caRow);
  const sample = await signIntermediate(h.services, input);
  const tbs = splitCertificate(Buffer.from(sample.certificate.replace(/-----[^-]+-----|\s/g, ''), 'base64')).tbs.raw;
  await cpuPer('HSM sign only (C_SignInit + C_Sign)', n, 32, () => issuer.signer.sign(tbs));
  await cpuPer('signCertificate (sign + assemble + verify)', n, 32, () => signCertificate(tbs, issuer.sigAlgDer, issuer.signer));
  await cpuPer('usableIssuer (CA row + issuer cache)', n, 32, () => usableIssuer(h.services, ca.id, LOCAL_OPERATOR, new Date()));
  const der = Buffer.from(sample.certificate.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  await cpuPer('insertCertificate (group commit, durable)', n, 32, (i) => h.store.insertCertificate({
    id: crypto.randomUUID(), ca_id: ca.id, serial: crypto.randomBytes(20).toString('hex'), kind: 'intermediate',
    subject: 'CN=x', not_before: new Date().toISOString(), not_after: new Date().toISOString(), der: der.toString('base64'),
    sha256: 'ab'.repeat(32), identity: 'x', req_id: `r${i}`, created_at: new Date().toISOString(), revoked_at: null, revocation_reason: null,
  }));
  await cpuPer('signIntermediate service (no HTTP, no audit)', n, 32, () => signIntermediate(h.services, input));
  await h.close();
}
main().catch((e) => { console.error(e); process.exit(1); });
