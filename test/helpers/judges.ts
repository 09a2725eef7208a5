/**
 * Third-party verifiers as test judges (see design/judges.md): OpenSSL 3 `verify -x509_strict`,
 * GnuTLS `certtool --verify --verify-profile=medium`, NSS `vfychain -pp`. Each runs offline on
 * PEM files in a temporary directory. Plus `signLeafWithOpenssl`, to put a leaf under an issued
 * intermediate: pathLen and keyUsage mistakes only show once the intermediate signs something.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseCertificateInfo } from '../../src/ca/certificate-info';
import { pemToDer } from '../../src/ca/pem';

const run = promisify(execFile);

export interface JudgeResult {
  /** The judge accepted the chain. */
  ok: boolean;
  output: string;
  /** Set when the judge rejected the chain for a documented limit of its own, not a defect. */
  knownLimitation?: string;
}

export interface ChainVerdict {
  openssl: JudgeResult;
  gnutls: JudgeResult;
  nss: JudgeResult;
}

export interface ChainInput {
  /** The trust anchor, PEM. */
  root: string;
  /**
   * CA certificates between target and root, PEM, in TLS order: nearest to the target first
   * (intermediates[0] issued the target; the last one was issued by the root). Empty when the
   * root issued the target.
   */
  intermediates?: string[];
  /** The certificate under test, PEM: an issued intermediate or a leaf. */
  target: string;
  /** `ca` judges the target as a CA (vfychain -u 11), `leaf` as a TLS server (-u 1); default from its basicConstraints. */
  purpose?: 'ca' | 'leaf';
}

const NSS_ED25519 = 'NSS does not know Ed25519 in certificates (-8049 Unrecognized Object Identifier): its limit, not a defect';
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570', 'hex');
const ED25519_SIG_ALG = Buffer.from('300506032b6570', 'hex');

async function judge(cmd: string, args: string[], accepted: (out: string) => boolean): Promise<JudgeResult> {
  try {
    const { stdout, stderr } = await run(cmd, args, { encoding: 'utf8' });
    const output = `${stdout}${stderr}`;
    return { ok: accepted(output), output };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

const involvesEd25519 = (pems: string[]): boolean => pems.some((pem) => {
  const info = parseCertificateInfo(pemToDer(pem));
  return info.spki.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX) || info.sigAlgDer.equals(ED25519_SIG_ALG);
});

/** Runs the three judges on one chain, in parallel. */
export async function judgeChain(input: ChainInput): Promise<ChainVerdict> {
  const intermediates = input.intermediates ?? [];
  const purpose = input.purpose ?? (parseCertificateInfo(pemToDer(input.target)).isCa ? 'ca' : 'leaf');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-judge-'));
  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, `${text.trim()}\n`);
    return p;
  };
  try {
    const root = file('root.pem', input.root);
    const target = file('target.pem', input.target);
    const ints = intermediates.map((pem, i) => file(`int${i}.pem`, pem));
    const untrusted = ints.length ? ['-untrusted', file('untrusted.pem', intermediates.join('\n'))] : [];
    const chain = file('chain.pem', [input.target, ...intermediates].join('\n'));
    const [openssl, gnutls, nss] = await Promise.all([
      judge('openssl', ['verify', '-x509_strict', '-CAfile', root, ...untrusted, target], (o) => /: OK\s*$/.test(o)),
      judge('certtool', ['--verify', '--verify-profile=medium', '--load-ca-certificate', root, '--infile', chain],
        (o) => o.includes('Chain verification output: Verified.')),
      judge('vfychain', ['-pp', '-u', purpose === 'ca' ? '11' : '1', '-a', target, ...ints.flatMap((p) => ['-a', p]), '-t', '-a', root],
        (o) => o.includes('Chain is good!')),
    ]);
    if (!nss.ok && nss.output.includes('-8049') && involvesEd25519([input.root, ...intermediates, input.target])) {
      nss.knownLimitation = NSS_ED25519;
    }
    return { openssl, gnutls, nss };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every judge accepted, or rejected only for its documented limitation. */
export const allAccept = (v: ChainVerdict): boolean =>
  Object.values(v).every((r: JudgeResult) => r.ok || r.knownLimitation !== undefined);

/** A readable summary for assertion messages. */
export const describeVerdict = (v: ChainVerdict): string =>
  Object.entries(v).map(([name, r]) => `${name}: ${r.ok ? 'ok' : r.knownLimitation ? 'known limitation' : 'REJECTED'}\n${r.output.trim()}`).join('\n---\n');

export interface Leaf {
  certPem: string;
  keyPem: string;
}

/**
 * A TLS server leaf (P-256) signed by the intermediate with `openssl x509 -req`: basicConstraints
 * critical CA:FALSE, keyUsage critical digitalSignature, extendedKeyUsage serverAuth, SKI, AKI
 * keyid, SAN DNS:leaf.example.test; valid from now for `days` (default 1).
 */
export function signLeafWithOpenssl(intermediateCertPem: string, intermediateKeyPem: string, days = 1): Leaf {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-leaf-'));
  const p = (name: string): string => path.join(dir, name);
  try {
    fs.writeFileSync(p('ca.pem'), `${intermediateCertPem.trim()}\n`);
    fs.writeFileSync(p('ca.key'), intermediateKeyPem);
    fs.writeFileSync(p('ext.cnf'), [
      '[leaf]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid:always',
      'subjectAltName = DNS:leaf.example.test',
      '',
    ].join('\n'));
    const opts = { stdio: 'pipe' as const };
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', p('leaf.key'), '-subj', '/CN=leaf.example.test', '-out', p('leaf.csr')], opts);
    execFileSync('openssl', ['x509', '-req', '-in', p('leaf.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'),
      '-set_serial', '0x3c0ffee0ddba11', '-days', String(days), '-extfile', p('ext.cnf'), '-extensions', 'leaf',
      '-out', p('leaf.pem')], opts);
    return { certPem: fs.readFileSync(p('leaf.pem'), 'utf8').trim(), keyPem: fs.readFileSync(p('leaf.key'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
