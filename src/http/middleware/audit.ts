import crypto from 'node:crypto';
import type { HttpContext, HttpNext } from '../context';
import type { Logger } from 'pino';
import { outcomeOf, recordAuditEvent, type AuditFields } from '../../audit/trail';
import type { Claimed } from '../../auth/identity';
import type { Store } from '../../store';
import type { IssuanceNote } from '../../services/issue-child';
import { asAppError } from './errors';

const CA_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A caId as the audit trail and the logs keep it: a CA id as it is, anything else a client put
 * in that place as a fingerprint, so a secret pasted into a URL is never written down.
 */
export function safeCaId(raw: string | undefined): string | undefined {
  if (raw === undefined || CA_ID.test(raw)) return raw;
  return `sha256:${crypto.createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
}

/**
 * What a route tells the audit trail about its request, as it learns it: the issuance note the
 * services fill in (CA, serial, CSR hash, the `issued` event recorded with the certificate), plus
 * the target of an identity-management request.
 */
export interface AuditState extends IssuanceNote {
  /** What an identity-management request acted on, e.g. `identity:<id>`. */
  target?: string;
}

/**
 * Writes one audit event for every request that reaches authentication: issued, denied,
 * rejected or failed, appended to the hash chain. The event is committed before the response
 * is sent; if that write fails the request fails too (an unaudited issuance is worse than a
 * refused one).
 */
export function auditMiddleware(store: Store, action: string, log: Logger) {
  return async (ctx: HttpContext, next: HttpNext): Promise<void> => {
    const audit: AuditState = { caId: safeCaId(ctx.params?.caId) };
    ctx.state.audit = audit;
    const fields = (status: number): AuditFields => {
      // A refused credential still names who it belonged to (see auth's `Claimed`).
      const identity: Claimed | undefined = ctx.state.identity ?? ctx.state.claimed;
      return {
        time: new Date(), reqId: ctx.state.reqId, identity: identity?.name ?? null, credential: identity?.credential ?? null,
        action, caId: audit.caId ?? null, target: audit.target ?? null, outcome: outcomeOf(status), status,
        serial: audit.serial ?? null, csrSha256: audit.csrSha256 ?? null, client: ctx.ip || null,
      };
    };
    // An issuance is recorded with its certificate, in one transaction (see signChild).
    audit.issuedEvent = (serial) => ({ ...fields(200), serial });
    let status = 200;
    let failure: unknown;
    try {
      await next();
      status = ctx.status;
    } catch (e) {
      failure = e;
      status = asAppError(e).status;
    }
    if (audit.audited && !failure && status < 300) return;
    try {
      await recordAuditEvent(store, fields(status));
    } catch (e) {
      log.error({ reqId: ctx.state.reqId, err: e }, 'audit write failed');
      throw e;
    }
    if (failure) throw failure;
  };
}
