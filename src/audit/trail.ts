import type { AuditEventRow, AuditOutcome, Store } from '../store';
import type { ChainHead } from '../store/audit-repo';
import { eventHash, GENESIS_HASH, type ChainedEvent } from './canonical';
import { isoString } from '../iso-time';

/** What a caller knows about one request; the chain fields are added when it is appended. */
export type AuditFields = Omit<ChainedEvent, 'seq' | 'prevHash' | 'time' | 'outcome'> & { time: Date; outcome: AuditOutcome };

/** issued (2xx), denied (401/403), rejected (other 4xx), failed (5xx). */
export const outcomeOf = (status: number): AuditOutcome =>
  status < 300 ? 'issued' : status === 401 || status === 403 ? 'denied' : status < 500 ? 'rejected' : 'failed';

/** The hashed view of a stored row (everything but `hash`). */
export const chainedEvent = (r: Omit<AuditEventRow, 'hash'>): ChainedEvent => ({
  seq: r.seq, prevHash: r.prev_hash, time: r.time, reqId: r.req_id, identity: r.identity, credential: r.credential,
  action: r.action, caId: r.ca_id, target: r.target, outcome: r.outcome, status: r.status, serial: r.serial,
  csrSha256: r.csr_sha256, client: r.client,
});

/**
 * The next link of the hash chain for `f`, given the chain's head: next sequence number, the
 * head's hash as `prev_hash`, and the hash of its own canonical content.
 */
export const chainLink = (f: AuditFields) => (head: ChainHead | undefined): AuditEventRow => {
  const row: Omit<AuditEventRow, 'hash'> = {
    seq: (head?.seq ?? 0) + 1, prev_hash: head?.hash ?? GENESIS_HASH, time: isoString(f.time), req_id: f.reqId,
    identity: f.identity, credential: f.credential, action: f.action, ca_id: f.caId?.slice(0, 200) ?? null,
    target: f.target, outcome: f.outcome, status: f.status, serial: f.serial, csr_sha256: f.csrSha256,
    client: f.client,
  };
  return { ...row, hash: eventHash(chainedEvent(row)) };
};

/** Appends one event to the hash chain, in the store's append transaction. */
export function recordAuditEvent(store: Store, f: AuditFields): Promise<AuditEventRow> {
  return store.audit.append(chainLink(f));
}
