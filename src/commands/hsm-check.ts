/**
 * `hsmca hsm check`: what an HSM administrator runs after installing a module or a key. Lists the
 * module's slots and tokens (no login needed), then logs in and, for the readiness key and each
 * CA key (and any `--key` URI), shows the mechanism it signs with and makes a test signature,
 * verified against the key's public half, with its latency.
 */
import crypto from 'node:crypto';
import { verifySignature, verifySpecOf } from '../ca/signature-algorithm';
import { AppError } from '../errors';
import { inventoryModule, type KeyInspector, type ModuleInventory } from '../keystore';
import type { KeyStore } from '../keystore/keystore';
import type { Config } from '../config/config';
import { openConfiguredKeyStore } from '../runtime';
import type { Store } from '../store';
import { withProgress } from './progress';

export interface KeyCheck {
  ca?: string;
  caId?: string;
  keyRef: string;
  keyAlgorithm?: string;
  signatureAlgorithm?: string;
  mechanism?: string;
  /** The private key's protection as the token reports it; a CA key must be sensitive and never extractable. */
  protection?: { sensitive: boolean; extractable: boolean; alwaysSensitive: boolean; neverExtractable: boolean };
  ok: boolean;
  latencyMs?: number;
  error?: string;
}

export interface HsmCheck {
  module: ModuleInventory | { path: string; error: string };
  token: string;
  login: { ok: boolean; error?: string };
  health?: { ok: boolean; latencyMs?: number; error?: string };
  keys: KeyCheck[];
  ok: boolean;
}

const message = (e: unknown): string =>
  e instanceof AppError ? `${e.message}${e.cause instanceof Error && e.cause.message !== e.message ? ` (${e.cause.message})` : ''}`
    : e instanceof Error ? e.message : String(e);

const ms = (since: bigint): number => Math.round(Number(process.hrtime.bigint() - since) / 1e4) / 100;

/** Fields in the order the report shows them. */
const newCheck = (k: Pick<KeyCheck, 'ca' | 'caId' | 'keyRef'>): KeyCheck => ({
  ...k, keyAlgorithm: undefined, signatureAlgorithm: undefined, mechanism: undefined, protection: undefined,
  ok: false, latencyMs: undefined,
});

/** Opens the key, signs 32 random bytes in the token, verifies the signature on the host. */
async function checkKey(keyStore: KeyStore, check: KeyCheck): Promise<KeyCheck> {
  try {
    const signer = await keyStore.openSigner(check.keyRef);
    Object.assign(check, { keyAlgorithm: signer.keyAlgorithm, signatureAlgorithm: signer.signatureAlgorithm, mechanism: signer.mechanism });
    const data = crypto.randomBytes(32);
    const started = process.hrtime.bigint();
    const signature = await signer.sign(data);
    check.latencyMs = ms(started);
    const publicKey = crypto.createPublicKey({ key: signer.spki, format: 'der', type: 'spki' });
    check.ok = verifySignature(verifySpecOf(signer.signatureAlgorithm), publicKey, data, signature);
    if (!check.ok) check.error = 'test signature does not verify against the public key';
    await checkProtection(keyStore, check);
  } catch (e) {
    check.ok = false;
    check.error = message(e);
  }
  return check;
}

/** A key made in a ceremony by other tools may lack the protection hsmca gives its own keys. */
async function checkProtection(keyStore: KeyStore, check: KeyCheck): Promise<void> {
  const inspector = keyStore as Partial<KeyInspector>;
  if (!inspector.inspectKey) return;
  const { sensitive, extractable, alwaysSensitive, neverExtractable } = (await inspector.inspectKey(check.keyRef)).privateKey;
  check.protection = { sensitive, extractable, alwaysSensitive, neverExtractable };
  if (!sensitive || extractable) {
    check.ok = false;
    check.error = 'the private key is not sensitive or is extractable: not fit for a CA key';
  }
}

async function checkHealth(keyStore: KeyStore): Promise<NonNullable<HsmCheck['health']>> {
  const started = process.hrtime.bigint();
  try {
    await keyStore.health();
    return { ok: true, latencyMs: ms(started) };
  } catch (e) {
    return { ok: false, error: message(e) };
  }
}

export async function hsmCheck(config: Config, store: Store, extraKeys: string[]): Promise<HsmCheck> {
  let module: HsmCheck['module'];
  try {
    module = inventoryModule(config.pkcs11.module);
  } catch (e) {
    module = { path: config.pkcs11.module, error: message(e) };
  }
  const keys: KeyCheck[] = [
    ...(await store.listCas()).map((ca) => newCheck({ ca: ca.name, caId: ca.id, keyRef: ca.key_ref })),
    ...extraKeys.map((keyRef) => newCheck({ keyRef })),
  ];
  const report: HsmCheck = { module, token: config.pkcs11.token, login: { ok: false }, health: undefined, keys, ok: false };
  let keyStore: KeyStore;
  try {
    keyStore = await withProgress(`logging in to token "${config.pkcs11.token}"`, () => openConfiguredKeyStore(config));
    report.login = { ok: true };
  } catch (e) {
    report.login = { ok: false, error: message(e) };
    for (const k of keys) k.error = 'not checked: no login';
    return report;
  }
  try {
    report.health = await withProgress('readiness test signature', () => checkHealth(keyStore));
    for (const k of keys) await withProgress(`test signature with ${k.ca ?? k.keyRef}`, () => checkKey(keyStore, k));
  } finally {
    await keyStore.close();
  }
  report.ok = !('error' in module) && report.health!.ok && keys.every((k) => k.ok);
  return report;
}
