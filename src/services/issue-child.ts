import crypto from 'node:crypto';
import { signCertificate } from '../ca/certificate';
import { childPathLength } from '../ca/path-length';
import { buildIntermediateTbs } from '../ca/profile';
import { randomSerial, serialHex } from '../ca/serial';
import { checkValidity } from '../ca/validity';
import { authorize } from '../auth/permissions';
import { chainLink, type AuditFields } from '../audit/trail';
import type { Action, Identity } from '../auth/identity';
import { badRequest, notFound } from '../errors';
import { DuplicateSerialError, type CaRow } from '../store';
import type { ServiceDeps } from './deps';
import type { ActiveIssuer } from './issuer-cache';
import { timeOrderedUuid } from '../time-ordered-id';
import { isoString } from '../iso-time';

/** A parent CA that may sign now, with its cached issuer context. */
export interface Parent {
  ca: CaRow;
  active: ActiveIssuer;
}

/** What the child certificate is about: the subject and key come from a CSR or a CA record. */
export interface ChildRequest {
  subjectDer: Buffer;
  spkiDer: Buffer;
  subjectText: string;
  notBefore?: Date;
  notAfter: Date;
  maxPathLength: number;
}

/** Who asked, for the record and the audit trail. */
export interface Requester {
  identity: Identity;
  reqId: string;
}

/** What the audit trail learns as the request goes (filled in even when it fails part way). */
export interface IssuanceNote {
  caId?: string;
  serial?: string;
  csrSha256?: string;
  /** From the audit layer: the `issued` event for a serial, to commit with the certificate. */
  issuedEvent?: (serial: string) => AuditFields;
  /** Set once the certificate and that event are on disk together. */
  audited?: boolean;
}

const SERIAL_ATTEMPTS = 3;

/** Contract rows 5–9: the CA exists, the caller may `action` on it, and it can sign now. */
export async function usableIssuer(
  deps: ServiceDeps, caId: string, identity: Identity, now: Date, action: Action = 'sign-intermediate',
): Promise<Parent> {
  const ca = await deps.store.getCa(caId);
  if (!ca) throw notFound(`CA with ID '${caId}' not found`);
  authorize(identity, action, ca);
  if (ca.status === 'disabled') throw badRequest('CA is disabled');
  if (ca.status !== 'active' || !ca.active_ca_cert_id) throw badRequest('CA does not have a certificate installed');
  const active = await deps.issuers.get(ca);
  if (active.issuer.notAfter.getTime() <= now.getTime()) throw badRequest('CA is expired');
  return { ca, active };
}

/**
 * Contract rows 14–20, then sign with the parent's HSM key, verify, and commit the record:
 * the one code path for every CA certificate a parent issues (sign-intermediate, an internal
 * child's certificate, its renewal). Resolves only once the row is on disk — in the same
 * transaction as its `issued` audit event when the note carries one (the HTTP audit layer's).
 */
export async function signChild(
  deps: ServiceDeps, parent: Parent, child: ChildRequest, who: Requester, now: Date, note: IssuanceNote = {},
): Promise<{ der: Buffer; derBase64: string; serialNumber: string }> {
  const { ca, active } = parent;
  const { issuer } = active;
  const pathLen = childPathLength(issuer.pathLen, child.maxPathLength);
  const { notBefore, notAfter } = checkValidity({
    notBefore: child.notBefore, notAfter: child.notAfter,
    parentNotBefore: issuer.notBefore, parentNotAfter: issuer.notAfter, now,
  });
  const urls = deps.publicBaseUrl ? {
    caIssuersUrl: `${deps.publicBaseUrl}/api/v1/cert-manager/ca/internal/${ca.id}/certificates/${active.caCertId}/der`,
    crlUrl: `${deps.publicBaseUrl}/api/v1/cert-manager/crl/${ca.id}/der`,
  } : {};
  for (let attempt = 1; ; attempt++) {
    const serial = randomSerial();
    const tbs = buildIntermediateTbs({
      issuer, serial, subjectDer: child.subjectDer, spkiDer: child.spkiDer, notBefore, notAfter, pathLen, ...urls,
    });
    const der = await signCertificate(tbs, issuer.sigAlgDer, issuer.signer);
    const serialNumber = serialHex(serial);
    const event = note.issuedEvent?.(serialNumber);
    const derBase64 = der.toString('base64');
    try {
      await deps.store.insertCertificate({
        id: timeOrderedUuid(), ca_id: ca.id, serial: serialNumber, kind: 'intermediate',
        subject: child.subjectText, not_before: isoString(notBefore), not_after: isoString(notAfter),
        der: derBase64, sha256: crypto.hash('sha256', der, 'hex'),
        identity: who.identity.name, req_id: who.reqId, created_at: isoString(now), revoked_at: null, revocation_reason: null,
      }, event && chainLink(event));
    } catch (e) {
      // 159 random bits make this all but impossible; the database is the arbiter either way.
      if (e instanceof DuplicateSerialError && attempt < SERIAL_ATTEMPTS) continue;
      throw e;
    }
    note.serial = serialNumber;
    note.audited = event !== undefined;
    return { der, derBase64, serialNumber };
  }
}
