import { checkCsr } from '../ca/csr';
import { signCaCsr } from '../ca/csr-builder';
import { toPem } from '../ca/pem';
import { algorithmIdentifierDer } from '../ca/signature-algorithm';
import type { Identity } from '../auth/identity';
import { badRequest } from '../errors';
import { buildName } from '../ca/name';
import type { ServiceDeps } from './deps';
import { requireCa } from './ca-access';
import type { CaConfiguration } from './ca-view';

/**
 * `GET /{caId}/csr`: a PKCS#10 request for an external parent, signed in the token, asking for
 * the CA profile (BC critical CA:TRUE [+ pathLen], KU, SKI). It goes through our own CSR checks
 * before it is returned, so we never hand out a request we would refuse ourselves.
 */
export async function caCsr(deps: ServiceDeps, caId: string, identity: Identity): Promise<{ csr: string }> {
  const ca = await requireCa(deps, caId, identity, 'read');
  if (ca.type === 'root') throw badRequest('Root CA cannot generate CSR');
  const conf = JSON.parse(ca.configuration) as CaConfiguration;
  const signer = await deps.keyStore.openSigner(ca.key_ref);
  const der = await signCaCsr({
    subjectDer: buildName(conf).subjectDer,
    spkiDer: signer.spki,
    pathLen: conf.maxPathLength >= 0 ? conf.maxPathLength : undefined,
    sigAlgDer: algorithmIdentifierDer(signer.signatureAlgorithm),
  }, signer);
  const csr = toPem(der, 'CERTIFICATE REQUEST');
  checkCsr(csr);
  return { csr };
}
