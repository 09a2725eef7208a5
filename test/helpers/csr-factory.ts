/**
 * CSRs for tests, from the generators seen in the field (OpenSSL `req`, GnuTLS `certtool`,
 * @peculiar/x509) and crafted by hand for the broken ones. Keys and files live in one temporary
 * directory per test process, removed at exit; keys are generated once per kind and reused.
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs it loaded first
import * as x509 from '@peculiar/x509';
import { TAG, contextTag, encodeBitString, encodeOid, encodeSequence, encodeTlv } from '../../src/der';
import { toPem } from '../../src/ca/pem';

export type KeySpec =
  | 'RSA-1024' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'RSA-2048-e3'
  | 'P-256' | 'P-384' | 'P-521' | 'P-256-explicit' | 'secp256k1' | 'brainpoolP256r1'
  | 'Ed25519' | 'Ed448' | 'DSA' | 'RSA-PSS-key';

let workDir: string | undefined;
/** This process's scratch directory (created on first use, removed at exit). */
export function scratch(): string {
  if (!workDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-ca-test-'));
    workDir = dir;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return workDir;
}

const openssl = (args: string[], input?: string): string =>
  execFileSync('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'], input }).toString();

const GENPKEY: Record<Exclude<KeySpec, 'DSA'>, string[]> = {
  'RSA-1024': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  'RSA-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'RSA-3072': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  'RSA-4096': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096'],
  'RSA-2048-e3': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_pubexp:3'],
  /** An id-RSASSA-PSS SPKI (RFC 4055 3.1), not rsaEncryption. */
  'RSA-PSS-key': ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'P-256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'P-384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'P-521': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  'P-256-explicit': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:explicit'],
  secp256k1: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
  brainpoolP256r1: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP256r1'],
  Ed25519: ['-algorithm', 'ED25519'],
  Ed448: ['-algorithm', 'ED448'],
};

/** Path of a PEM private key of `spec` (generated once per process). */
export function keyFile(spec: KeySpec): string {
  const file = path.join(scratch(), `${spec}.key`);
  if (fs.existsSync(file)) return file;
  if (spec === 'DSA') {
    const params = path.join(scratch(), 'dsa.params');
    openssl(['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', params]);
    openssl(['genpkey', '-paramfile', params, '-out', file]);
  } else {
    openssl(['genpkey', ...GENPKEY[spec], '-out', file]);
  }
  return file;
}

let counter = 0;

export interface CsrOptions {
  /** `openssl req -subj` syntax; default `/O=hsmca tests/CN=Test Intermediate CA`. */
  subject?: string;
  /** e.g. `-sha1`, `-sha384`; default: OpenSSL's (SHA-256). */
  digest?: string;
  /** More `openssl req` arguments: `-addext …`, `-utf8`, `-multivalue-rdn`, `-sigopt …`. */
  args?: string[];
}

/** `openssl req -new` with a key of `spec`. */
export function opensslCsr(spec: KeySpec, options: CsrOptions = {}): { csr: string; keyPem: string } {
  const key = keyFile(spec);
  const out = path.join(scratch(), `req-${++counter}.csr`);
  const subject = options.subject ?? '/O=hsmca tests/CN=Test Intermediate CA';
  openssl(['req', '-new', '-key', key, '-subj', subject, ...(options.digest ? [options.digest] : []), ...(options.args ?? []), '-out', out]);
  return { csr: fs.readFileSync(out, 'utf8'), keyPem: fs.readFileSync(key, 'utf8') };
}

/** GnuTLS `certtool --generate-request`: `NEW CERTIFICATE REQUEST`, with a text dump before the block. */
export function certtoolCsr(keyType: 'rsa' | 'ecdsa' = 'ecdsa'): { csr: string; keyPem: string } {
  const dir = scratch();
  const key = path.join(dir, `certtool-${keyType}.key`);
  if (!fs.existsSync(key)) {
    const bits = keyType === 'rsa' ? ['--bits', '2048'] : ['--curve', 'secp256r1'];
    execFileSync('certtool', ['--generate-privkey', '--key-type', keyType, ...bits, '--outfile', key], { stdio: 'pipe' });
  }
  const template = path.join(dir, 'certtool.cfg');
  fs.writeFileSync(template, 'cn = "certtool intermediate"\norganization = "hsmca tests"\nca\ncert_signing_key\n');
  const out = path.join(dir, `certtool-${++counter}.csr`);
  execFileSync('certtool', ['--generate-request', '--load-privkey', key, '--template', template, '--outfile', out], { stdio: 'pipe' });
  return { csr: fs.readFileSync(out, 'utf8'), keyPem: fs.readFileSync(key, 'utf8') };
}

/** @peculiar/x509's `Pkcs10CertificateRequestGenerator` over WebCrypto. */
export async function peculiarCsr(alg: 'ECDSA-P256' | 'RSA-2048' | 'RSA-PSS-2048' | 'Ed25519'): Promise<string> {
  x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const rsa = { publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048, hash: 'SHA-256' };
  type Params = crypto.webcrypto.RsaHashedKeyGenParams | crypto.webcrypto.EcKeyGenParams;
  const table: Record<typeof alg, [Params | crypto.webcrypto.Algorithm, crypto.webcrypto.Algorithm | crypto.webcrypto.EcdsaParams | crypto.webcrypto.RsaPssParams]> = {
    'ECDSA-P256': [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
    'RSA-2048': [{ name: 'RSASSA-PKCS1-v1_5', ...rsa }, { name: 'RSASSA-PKCS1-v1_5' }],
    'RSA-PSS-2048': [{ name: 'RSA-PSS', ...rsa }, { name: 'RSA-PSS', saltLength: 32 }],
    Ed25519: [{ name: 'Ed25519' }, { name: 'Ed25519' }],
  };
  const [generate, signing] = table[alg];
  const keys = (await crypto.webcrypto.subtle.generateKey(generate as Params, false, ['sign', 'verify'])) as crypto.webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=peculiar ${alg}, O=hsmca tests`,
    keys: keys as unknown as CryptoKeyPairLike,
    signingAlgorithm: signing,
  });
  return csr.toString('pem');
}

type CryptoKeyPairLike = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];


/** `Name` with one RDN per `[oid, utf8 value]` pair. */
export const nameDer = (...atvs: [string, string][]): Buffer =>
  encodeSequence(...atvs.map(([oid, value]) =>
    encodeTlv(TAG.SET, encodeSequence(encodeOid(oid), encodeTlv(TAG.UTF8_STRING, Buffer.from(value, 'utf8'))))));

export interface CraftInput {
  subjectDer: Buffer;
  /** Private key; its SPKI goes into the CSR unless `spkiDer` is given. */
  key: crypto.KeyObject;
  spkiDer?: Buffer;
  sigAlgDer: Buffer;
  sign: (info: Buffer, key: crypto.KeyObject) => Buffer;
  version?: number;
}

/** A CSR built by hand (RFC 2986), for shapes no generator makes on purpose. */
export function craftCsr(input: CraftInput): { der: Buffer; pem: string } {
  const spki = input.spkiDer ?? crypto.createPublicKey(input.key).export({ format: 'der', type: 'spki' });
  const info = encodeSequence(encodeTlv(TAG.INTEGER, Buffer.from([input.version ?? 0])), input.subjectDer, spki, encodeTlv(contextTag(0)));
  const der = encodeSequence(info, input.sigAlgDer, encodeBitString(input.sign(info, input.key)));
  return { der, pem: toPem(der, 'CERTIFICATE REQUEST') };
}

/** The DER of a single-block PEM, leniently (for mangling in tests). */
export const derOf = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');

/** The same CSR with one bit of its signature (the DER's last byte) flipped. */
export function corruptSignature(pem: string): string {
  const der = Buffer.from(derOf(pem));
  der[der.length - 1] ^= 0x01;
  return toPem(der, 'CERTIFICATE REQUEST');
}
