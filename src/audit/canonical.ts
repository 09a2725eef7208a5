/**
 * The canonical forms the audit trail hashes and signs. They are part of the on-disk format:
 * an event's hash and a checkpoint's signature are computed over exactly these bytes, by the
 * daemon when it writes and by `hsmca audit verify` (or anyone else) when it checks. Change
 * them only under a new version tag.
 *
 * A JSON array (not an object) so that there is no key order to agree on; every value is a
 * string, an integer or null, which JSON.stringify renders one way only.
 */
import crypto from 'node:crypto';

export const EVENT_FORMAT = 'hsmca-audit-event-v1';
export const CHECKPOINT_FORMAT = 'hsmca-audit-checkpoint-v1';
/** The `prevHash` of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an event that its hash covers (everything but the hash itself). */
export interface ChainedEvent {
  seq: number;
  prevHash: string;
  time: string;
  reqId: string;
  identity: string | null;
  credential: string | null;
  action: string;
  caId: string | null;
  target: string | null;
  outcome: string;
  status: number;
  serial: string | null;
  csrSha256: string | null;
  client: string | null;
}

/** `sha256(JSON.stringify([format, seq, prevHash, time, reqId, identity, …, client]))`, hex. */
export function eventHash(e: ChainedEvent): string {
  const canonical = JSON.stringify([
    EVENT_FORMAT, e.seq, e.prevHash, e.time, e.reqId, e.identity, e.credential, e.action, e.caId,
    e.target, e.outcome, e.status, e.serial, e.csrSha256, e.client,
  ]);
  return crypto.hash('sha256', canonical, 'hex'); // a string is hashed as UTF-8
}

/** What a checkpoint signs: the sequence number and hash of the head event, when, and by which key. */
export interface CheckpointClaim {
  eventSeq: number;
  headHash: string;
  time: string;
  /** SHA-256 (hex) of the signing key's DER SubjectPublicKeyInfo. */
  keyId: string;
}

/** The bytes the audit key signs for a checkpoint. */
export const checkpointPayload = (c: CheckpointClaim): Buffer =>
  Buffer.from(JSON.stringify([CHECKPOINT_FORMAT, c.eventSeq, c.headHash, c.time, c.keyId]), 'utf8');

/** Key id as checkpoints name it: SHA-256 of the DER SubjectPublicKeyInfo, hex. */
export const keyIdOf = (spki: Buffer): string => crypto.createHash('sha256').update(spki).digest('hex');
