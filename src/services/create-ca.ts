import crypto from 'node:crypto';
import { buildName, type NameFields } from '../ca/name';
import { authorize } from '../auth/permissions';
import type { Identity } from '../auth/identity';
import { badRequest } from '../errors';
import { KEY_ALGORITHMS, type KeyAlgorithm, type Signer } from '../keystore/keystore';
import type { CaRow, CaType } from '../store';
import type { ServiceDeps } from './deps';
import { caView, type CaConfiguration } from './ca-view';
import { installCertificate } from './install-certificate';
import { selfSign } from './self-sign';

export interface CreateCaInput extends NameFields {
  name: string;
  type: CaType;
  /** Initial status of a CA that gets a certificate now; pending CAs are always pending. */
  status?: 'active' | 'disabled';
  keyAlgorithm?: string;
  /** RFC 7512 URI of a key a key ceremony already put in the token, instead of a new one. */
  keyRef?: string;
  notBefore?: Date;
  /** A root with notAfter is self-signed at once; without, it waits for POST /{caId}/certificate. */
  notAfter?: Date;
  /** -1: no pathLen constraint; n ≥ 0: pathLen n (0 kept). */
  maxPathLength: number;
}

function checkInput(input: CreateCaInput): void {
  if (!input.name.trim()) throw badRequest('CA name must not be empty');
  if (input.keyAlgorithm && !(KEY_ALGORITHMS as readonly string[]).includes(input.keyAlgorithm)) {
    throw badRequest(`Unsupported key algorithm '${input.keyAlgorithm}': use one of ${KEY_ALGORITHMS.join(', ')}`);
  }
  if (!input.keyAlgorithm && !input.keyRef) throw badRequest('keyAlgorithm is required unless keyRef names an existing key');
  if (!Number.isInteger(input.maxPathLength) || input.maxPathLength < -1) {
    throw badRequest('maxPathLength must be an integer ≥ -1');
  }
}

/** The CA's key: adopted from a key ceremony by URI, or generated in the token now. */
async function caKey(deps: ServiceDeps, input: CreateCaInput, id: string): Promise<Signer> {
  if (input.keyRef) {
    const used = (await deps.store.listCas()).find((c) => c.key_ref === input.keyRef);
    if (used) throw badRequest(`keyRef is already the key of CA '${used.name}'`);
    const signer = await deps.keyStore.openSigner(input.keyRef);
    if (input.keyAlgorithm && input.keyAlgorithm !== signer.keyAlgorithm) {
      throw badRequest(`keyRef names a ${signer.keyAlgorithm} key, not ${input.keyAlgorithm}`);
    }
    return signer;
  }
  const { uri } = await deps.keyStore.generateKeyInToken(input.keyAlgorithm as KeyAlgorithm, `hsmca-ca-${id}`);
  return deps.keyStore.openSigner(uri);
}

/**
 * Creates a CA. Its key is born in the token (or adopted by `keyRef`); a root with `notAfter`
 * is self-signed through the token and active; anything else is `pending-certificate` until a
 * certificate is issued or imported.
 */
export async function createCa(deps: ServiceDeps, input: CreateCaInput, identity: Identity): Promise<Record<string, unknown>> {
  authorize(identity, 'create', { id: '', name: input.name });
  checkInput(input);
  const { subjectDer, dn } = buildName(input);
  if (await deps.store.getCaByName(input.name)) throw badRequest(`A CA named '${input.name}' already exists`);
  const now = deps.now();
  const id = crypto.randomUUID();
  const signer = await caKey(deps, input, id);
  const configuration: CaConfiguration = {
    type: input.type, commonName: input.commonName ?? '', organization: input.organization ?? '', ou: input.ou ?? '',
    country: input.country ?? '', province: input.province ?? '', locality: input.locality ?? '', dn,
    keyAlgorithm: signer.keyAlgorithm, maxPathLength: input.maxPathLength,
    notBefore: null, notAfter: null, serialNumber: null,
  };
  const stamp = now.toISOString();
  let ca: CaRow = {
    id, name: input.name, status: 'pending-certificate', type: input.type, key_algorithm: signer.keyAlgorithm,
    key_ref: signer.uri, configuration: JSON.stringify(configuration), parent_ca_id: null, active_ca_cert_id: null,
    created_at: stamp, updated_at: stamp,
  };
  const cert = input.type === 'root' && input.notAfter
    ? await selfSign(signer, { subjectDer, notBefore: input.notBefore, notAfter: input.notAfter, maxPathLength: input.maxPathLength }, now)
    : undefined;
  if (cert && input.status === 'disabled') ca.status = 'disabled';
  await deps.store.insertCa(ca);
  if (cert) ca = await installCertificate(deps, ca, cert, '', now);
  return caView(ca);
}
