import crypto from 'node:crypto';
import { signCertificate } from '../ca/certificate';
import { buildName, type NameFields } from '../ca/name';
import { buildRootTbs } from '../ca/profile';
import { randomSerial, serialHex } from '../ca/serial';
import { algorithmIdentifierDer } from '../ca/signature-algorithm';
import { badRequest } from '../errors';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../keystore/keystore';
import type { ServiceDeps } from './deps';
import { caView, type CaConfiguration } from './ca-view';

export interface CreateRootInput extends NameFields {
  name: string;
  keyAlgorithm: string;
  notBefore?: Date;
  notAfter: Date;
  /** -1: no pathLen constraint; n ≥ 0: pathLen n (0 kept). */
  maxPathLength: number;
}

function checkInput(input: CreateRootInput, now: Date): void {
  if (!input.name.trim()) throw badRequest('CA name must not be empty');
  if (!(KEY_ALGORITHMS as readonly string[]).includes(input.keyAlgorithm)) {
    throw badRequest(`Unsupported key algorithm '${input.keyAlgorithm}': use one of ${KEY_ALGORITHMS.join(', ')}`);
  }
  if (!input.commonName && !input.organization && !input.ou && !input.country && !input.province && !input.locality) {
    throw badRequest('At least one subject field (commonName, organization, ou, country, province, locality) is required');
  }
  if (!Number.isInteger(input.maxPathLength) || input.maxPathLength < -1) {
    throw badRequest('maxPathLength must be an integer ≥ -1');
  }
  if (input.notAfter.getTime() <= (input.notBefore ?? now).getTime()) throw badRequest('notAfter must be after notBefore');
  if (input.notAfter.getTime() <= now.getTime()) throw badRequest('notAfter date is in the past');
}

const seconds = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

/**
 * Creates a root CA: key pair generated inside the token, certificate self-signed through the
 * token (basicConstraints critical CA:TRUE [pathLen], keyUsage critical keyCertSign+cRLSign+
 * digitalSignature, SKI), both committed in one transaction.
 */
export async function createRootCa(deps: ServiceDeps, input: CreateRootInput): Promise<Record<string, unknown>> {
  const now = deps.now();
  checkInput(input, now);
  if (await deps.store.getCaByName(input.name)) throw badRequest(`A CA named '${input.name}' already exists`);

  const id = crypto.randomUUID();
  const alg = input.keyAlgorithm as KeyAlgorithm;
  const { uri } = await deps.keyStore.generateKeyPair(alg, `hsmca-ca-${id}`);
  const signer = await deps.keyStore.openSigner(uri);
  const { subjectDer, dn } = buildName(input);
  const sigAlgDer = algorithmIdentifierDer(signer.signatureAlgorithm);
  const notBefore = seconds(input.notBefore ?? now);
  const notAfter = seconds(input.notAfter);
  const serial = randomSerial();
  const pathLen = input.maxPathLength >= 0 ? input.maxPathLength : undefined;
  const tbs = buildRootTbs({ subjectDer, spkiDer: signer.spki, serial, notBefore, notAfter, pathLen, sigAlgDer });
  const der = await signCertificate(tbs, sigAlgDer, signer);

  const certId = crypto.randomUUID();
  const stamp = now.toISOString();
  const configuration: CaConfiguration = {
    type: 'root',
    commonName: input.commonName ?? '',
    organization: input.organization ?? '',
    ou: input.ou ?? '',
    country: input.country ?? '',
    province: input.province ?? '',
    locality: input.locality ?? '',
    dn,
    keyAlgorithm: alg,
    maxPathLength: input.maxPathLength,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    serialNumber: serialHex(serial),
  };
  const ca = {
    id, name: input.name, status: 'active' as const, type: 'root' as const, key_algorithm: alg, key_ref: uri,
    configuration: JSON.stringify(configuration), parent_ca_id: null, active_ca_cert_id: certId,
    created_at: stamp, updated_at: stamp,
  };
  await deps.store.insertCa(ca, {
    id: certId, ca_id: id, version: 1, serial: serialHex(serial), der: der.toString('base64'), chain_pem: '',
    not_before: notBefore.toISOString(), not_after: notAfter.toISOString(), created_at: stamp,
  });
  return caView(ca);
}

export async function listCas(deps: ServiceDeps): Promise<Record<string, unknown>[]> {
  return (await deps.store.listCas()).map(caView);
}
