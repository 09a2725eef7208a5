import { buildChain } from '../ca/chain';
import { parseCertificateInfo, type CertificateInfo } from '../ca/certificate-info';
import { readPemBlocks } from '../ca/pem';
import type { Identity } from '../auth/identity';
import { badRequest } from '../errors';
import type { ServiceDeps } from './deps';
import { requireCa } from './ca-access';
import { caView } from './ca-view';
import { installCertificate } from './install-certificate';
import { toPem } from '../ca/pem';

function parseCertificates(text: string, what: string): CertificateInfo[] {
  let blocks;
  try {
    blocks = readPemBlocks(text);
  } catch (e) {
    throw badRequest(`${what}: ${(e as Error).message}`);
  }
  return blocks.map((b, i) => {
    if (b.label !== 'CERTIFICATE') throw badRequest(`${what}: block ${i + 1} is '${b.label}', not CERTIFICATE`);
    try {
      return parseCertificateInfo(b.der);
    } catch {
      throw badRequest(`${what}: block ${i + 1} is not a valid X.509 certificate`);
    }
  });
}

/**
 * `POST /{caId}/import-certificate`: installs a certificate an external parent issued for this
 * CA's key. Refused (400, naming why) unless its key is the CA's key in the token, it is a CA
 * certificate, and the chain builds and verifies to a self-signed root.
 */
export async function importCertificate(
  deps: ServiceDeps, caId: string, body: { certificate: string; certificateChain: string }, identity: Identity,
): Promise<Record<string, unknown>> {
  const ca = await requireCa(deps, caId, identity, 'import');
  if (ca.type === 'root') throw badRequest('A root CA signs its own certificate: use POST /{caId}/certificate');
  const certs = parseCertificates(body.certificate, 'certificate');
  if (certs.length !== 1) throw badRequest(`certificate: expected one PEM certificate, found ${certs.length}`);
  const [cert] = certs;
  const signer = await deps.keyStore.openSigner(ca.key_ref);
  if (!cert.spki.equals(signer.spki)) throw badRequest("certificate's public key is not this CA's key");
  const path = buildChain(cert, parseCertificates(body.certificateChain, 'certificateChain'), deps.now());
  const chainPem = path.map((c) => toPem(c.der, 'CERTIFICATE')).join('\n');
  return caView(await installCertificate(deps, ca, cert, chainPem, deps.now()));
}
