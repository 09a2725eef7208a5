/**
 * Builds and verifies the path from an imported CA certificate to a self-signed root through
 * the certificates the operator supplied (RFC 5280 6.1, reduced to what an import needs:
 * name chaining, signatures, cA flags, validity). Order of the supplied chain does not matter;
 * certificates that are not on the path are refused, so what is stored is exactly the path.
 */
import * as crypto from 'node:crypto';
import { badRequest } from '../errors';
import { verifyCertificate } from './certificate';
import type { CertificateInfo } from './certificate-info';

const MAX_DEPTH = 8;

const keyOf = (info: CertificateInfo): crypto.KeyObject =>
  crypto.createPublicKey({ key: info.spki, format: 'der', type: 'spki' });

const isSelfIssued = (c: CertificateInfo): boolean => c.issuerDer.equals(c.subjectDer);

function checkCa(c: CertificateInfo, what: string, now: Date): void {
  if (!c.isCa) throw badRequest(`${what} '${c.subjectText}' is not a CA certificate`);
  if (c.notAfter.getTime() <= now.getTime()) throw badRequest(`${what} '${c.subjectText}' is expired`);
  if (c.notBefore.getTime() > now.getTime()) throw badRequest(`${what} '${c.subjectText}' is not valid yet`);
}

/**
 * Returns the issuers of `cert` from nearest to the root. Throws `BadRequest` naming the
 * reason: a certificate in the path that is not a CA or not valid now, a missing issuer, a
 * signature that does not verify, no self-signed root at the end, or extra certificates.
 */
export function buildChain(cert: CertificateInfo, supplied: CertificateInfo[], now: Date): CertificateInfo[] {
  checkCa(cert, 'certificate', now);
  const pool = [...supplied];
  const path: CertificateInfo[] = [];
  let current = cert;
  while (!isSelfIssued(current)) {
    if (path.length >= MAX_DEPTH) throw badRequest(`certificate chain is longer than ${MAX_DEPTH}`);
    const i = pool.findIndex((p) => p.subjectDer.equals(current.issuerDer));
    if (i < 0) throw badRequest(`certificate chain does not build: no issuer for '${current.subjectText}'`);
    const [parent] = pool.splice(i, 1);
    checkCa(parent, 'chain certificate', now);
    if (!verifyCertificate(current.der, keyOf(parent))) {
      throw badRequest(`signature of '${current.subjectText}' does not verify with the key of '${parent.subjectText}'`);
    }
    path.push(parent);
    current = parent;
  }
  if (path.length === 0) throw badRequest('certificate is self-signed: import an intermediate CA certificate');
  if (!verifyCertificate(current.der, keyOf(current))) {
    throw badRequest(`certificate chain does not end in a self-signed root: '${current.subjectText}' does not verify itself`);
  }
  if (pool.length) throw badRequest(`certificate chain has ${pool.length} certificate(s) that are not on the path to the root`);
  return path;
}
