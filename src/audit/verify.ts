/**
 * Checks an audit trail: every event's hash against its content, every link against the event
 * before it, every sequence number present, and every checkpoint's signature against the audit
 * key(s) and the event it sealed. Pure: the caller supplies rows and trusted public keys.
 */
import crypto from 'node:crypto';
import type { AuditEventRow } from '../store';
import { checkpointPayload, eventHash, GENESIS_HASH, keyIdOf } from './canonical';
import type { Checkpoint } from './checkpoint';
import { chainedEvent } from './trail';

export interface Problem {
  /** The first event this problem makes untrustworthy, when it concerns an event. */
  seq?: number;
  reqId?: string;
  /** The checkpoint concerned, if any. */
  checkpoint?: number;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  events: number;
  head: { seq: number; hash: string } | null;
  checkpoints: number;
  /** Events after the last checkpoint: protected by the chain only, not yet by a signature. */
  unsealed: number;
  firstBad: Problem | null;
  problems: Problem[];
}

const HASH_OF: Record<string, string | null> = {
  'ecdsa-with-SHA256': 'sha256', 'ecdsa-with-SHA384': 'sha384', 'ecdsa-with-SHA512': 'sha512',
  'sha256WithRSAEncryption': 'sha256', 'sha384WithRSAEncryption': 'sha384', 'sha512WithRSAEncryption': 'sha512',
  Ed25519: null,
};

function signatureValid(cp: Checkpoint, spki: Buffer): boolean {
  const hash = HASH_OF[cp.algorithm];
  if (hash === undefined) return false;
  const payload = checkpointPayload({ eventSeq: cp.event_seq, headHash: cp.head_hash, time: cp.time, keyId: cp.key_id });
  const key = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
  try {
    return crypto.verify(hash, payload, { key, dsaEncoding: 'der' }, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

const range = (from: number, to: number): string => (from === to ? `event ${from} is` : `events ${from}–${to} are`);

function checkChain(events: AuditEventRow[], problems: Problem[]): void {
  let prev = GENESIS_HASH;
  let expected = 1;
  for (const e of events) {
    const intact = eventHash(chainedEvent(e)) === e.hash;
    if (!intact) problems.push({ seq: e.seq, reqId: e.req_id, message: `event ${e.seq} (${e.req_id}) was altered: its content does not match its hash` });
    if (e.seq > expected) problems.push({ seq: expected, message: `${range(expected, e.seq - 1)} missing (deleted)` });
    else if (intact && e.prev_hash !== prev) {
      // Event e is consistent in itself, so the one before it was rewritten (hash recomputed), or e was replaced whole.
      problems.push({ seq: Math.max(1, e.seq - 1), message: `the chain breaks between event ${e.seq - 1} and event ${e.seq}: event ${e.seq - 1} was rewritten, or event ${e.seq} replaced` });
    }
    prev = e.hash;
    expected = e.seq + 1;
  }
}

function checkCheckpoints(events: AuditEventRow[], checkpoints: (Checkpoint & { id: number })[], keys: Buffer[], problems: Problem[]): void {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const lastSeq = events.at(-1)?.seq ?? 0;
  const trusted = new Map(keys.map((k) => [keyIdOf(k), k]));
  let previous = 0;
  for (const cp of checkpoints) {
    const name = `checkpoint #${cp.id} (${cp.time}, event ${cp.event_seq})`;
    const key = trusted.get(cp.key_id);
    if (!key) problems.push({ checkpoint: cp.id, message: `${name} is not signed by the audit key` });
    else if (!signatureValid(cp, key)) problems.push({ checkpoint: cp.id, message: `${name}: the signature does not verify (forged or altered)` });
    if (cp.event_seq < previous) problems.push({ checkpoint: cp.id, message: `${name} goes back from event ${previous}` });
    previous = Math.max(previous, cp.event_seq);
    const sealed = bySeq.get(cp.event_seq);
    if (cp.event_seq > lastSeq) {
      problems.push({ seq: lastSeq + 1, checkpoint: cp.id, message: `${range(lastSeq + 1, cp.event_seq)} missing: ${name} sealed the chain up to event ${cp.event_seq} (tail truncated)` });
    } else if (!sealed) {
      problems.push({ seq: cp.event_seq, checkpoint: cp.id, message: `event ${cp.event_seq}, sealed by ${name}, is missing` });
    } else if (sealed.hash !== cp.head_hash) {
      problems.push({ seq: cp.event_seq, reqId: sealed.req_id, checkpoint: cp.id, message: `event ${cp.event_seq} is not the event ${name} sealed (history rewritten)` });
    }
  }
}

export function verifyAuditTrail(events: AuditEventRow[], checkpoints: (Checkpoint & { id: number })[], keys: Buffer[]): VerifyReport {
  const problems: Problem[] = [];
  checkChain(events, problems);
  checkCheckpoints(events, checkpoints, keys, problems);
  const withSeq = problems.filter((p) => p.seq !== undefined).sort((a, b) => a.seq! - b.seq!);
  const head = events.at(-1);
  const sealedUpTo = Math.max(0, ...checkpoints.map((c) => c.event_seq));
  return {
    ok: problems.length === 0,
    events: events.length,
    head: head ? { seq: head.seq, hash: head.hash } : null,
    checkpoints: checkpoints.length,
    unsealed: events.filter((e) => e.seq > sealedUpTo).length,
    firstBad: withSeq[0] ?? problems[0] ?? null,
    problems,
  };
}
