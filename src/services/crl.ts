import crypto from 'node:crypto';
import { signCrl, type RevocationReason } from '../ca/crl';
import { toPem } from '../ca/pem';
import { verifySignature, verifySpecOf } from '../ca/signature-algorithm';
import { splitCertificate } from '../ca/certificate';
import type { Identity } from '../auth/identity';
import { notFound } from '../errors';
import type { CaRow, CrlRow } from '../store';
import type { ServiceDeps } from './deps';
import { requireCa } from './ca-access';

/**
 * Signs a new CRL for `ca` in the token: every unexpired certificate it revoked, the next CRL
 * number, AKI = the CA's key identifier, nextUpdate one lifetime ahead. Checked against the
 * CA's public key before it is stored, like every certificate.
 */
export async function issueCrl(deps: ServiceDeps, ca: CaRow): Promise<CrlRow> {
  const { issuer } = await deps.issuers.get(ca);
  const thisUpdate = new Date(Math.floor(deps.now().getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + deps.crlLifetimeMs);
  const revoked = (await deps.store.listRevoked(ca.id, thisUpdate.toISOString())).map((c) => ({
    serial: c.serial, revokedAt: new Date(c.revoked_at!), reason: c.revocation_reason as RevocationReason,
  }));
  return deps.store.appendCrl(ca.id, async (number) => {
    const der = await signCrl({
      issuerDer: issuer.subjectDer, issuerKeyId: issuer.ski, sigAlgDer: issuer.sigAlgDer, number, thisUpdate, nextUpdate, revoked,
    }, issuer.signer);
    const { tbs, signature } = splitCertificate(der); // a CertificateList has a Certificate's outer shape
    if (!verifySignature(verifySpecOf(issuer.signer.signatureAlgorithm), issuer.publicKey, tbs.raw, signature)) {
      throw new Error(`CRL for CA ${ca.id} does not verify with the CA key`);
    }
    return {
      id: crypto.randomUUID(), this_update: thisUpdate.toISOString(), next_update: nextUpdate.toISOString(),
      der: der.toString('base64'),
    };
  });
}

/**
 * The CRL relying parties should see now: the latest, re-issued when none exists, when a
 * quarter of its lifetime is left, or when a revocation is newer than it.
 */
export async function currentCrl(deps: ServiceDeps, ca: CaRow): Promise<CrlRow> {
  const latest = await deps.store.latestCrl(ca.id);
  if (latest && !(await isStale(deps, ca, latest))) return latest;
  return issueCrl(deps, ca);
}

async function isStale(deps: ServiceDeps, ca: CaRow, crl: CrlRow): Promise<boolean> {
  const now = deps.now().getTime();
  if (Date.parse(crl.next_update) - now < deps.crlLifetimeMs / 4) return true;
  const newest = (await deps.store.listRevoked(ca.id, new Date(now).toISOString()))
    .reduce((t, c) => Math.max(t, Date.parse(c.revoked_at!)), 0);
  return newest >= Date.parse(crl.this_update);
}

/** `GET /{caId}/crls`: the CA's current CRL as PEM (Infisical's list shape). */
export async function caCrls(deps: ServiceDeps, caId: string, identity: Identity): Promise<{ id: string; crl: string }[]> {
  const ca = await requireCa(deps, caId, identity, 'read');
  if (!ca.active_ca_cert_id) return [];
  const crl = await currentCrl(deps, ca);
  return [{ id: ca.id, crl: toPem(Buffer.from(crl.der, 'base64'), 'X509 CRL') }];
}

/**
 * `GET /crl/{crlId}/der`, public by design: `crlId` is a CA id (its current CRL: the URL
 * issued certificates carry) or the id of one stored CRL.
 */
export async function crlDer(deps: ServiceDeps, crlId: string): Promise<Buffer> {
  const ca = await deps.store.getCa(crlId);
  if (ca?.active_ca_cert_id) return Buffer.from((await currentCrl(deps, ca)).der, 'base64');
  const row = await deps.store.getCrl(crlId);
  if (!row) throw notFound(`CRL with ID '${crlId}' not found`);
  return Buffer.from(row.der, 'base64');
}

/** Keeps every CA's CRL fresh before nextUpdate, from the daemon; returns a stop function. */
export function startCrlRefresher(deps: ServiceDeps, onError: (e: unknown, caId: string) => void): () => void {
  const every = Math.min(deps.crlLifetimeMs / 8, 10 * 60_000);
  const timer = setInterval(async () => {
    for (const ca of await deps.store.listCas().catch(() => [])) {
      if (ca.status !== 'active' || !ca.active_ca_cert_id) continue;
      await currentCrl(deps, ca).catch((e: unknown) => onError(e, ca.id));
    }
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}
