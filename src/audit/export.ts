/**
 * `hsmca audit export`: the trail as JSON lines, events in chain order, then checkpoints, each
 * with a `type`. `hsmca audit verify --file` reads the same lines back, so a copy kept elsewhere
 * can be checked with nothing but the audit public key.
 */
import type { AuditEventRow } from '../store';
import type { Checkpoint } from './checkpoint';
import { chainedEvent } from './trail';

type StoredCheckpoint = Checkpoint & { id: number };

export function eventLine(e: AuditEventRow): string {
  return JSON.stringify({ type: 'event', ...chainedEvent(e), hash: e.hash });
}

export function checkpointLine(c: StoredCheckpoint): string {
  return JSON.stringify({
    type: 'checkpoint', id: c.id, eventSeq: c.event_seq, headHash: c.head_hash, time: c.time, keyId: c.key_id,
    algorithm: c.algorithm, signature: c.signature,
  });
}

/** Parses exported lines back into rows; throws naming the line that is not one. */
export function parseExport(text: string): { events: AuditEventRow[]; checkpoints: StoredCheckpoint[] } {
  const events: AuditEventRow[] = [];
  const checkpoints: StoredCheckpoint[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let o: Record<string, any>;
    try {
      o = JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1} is not JSON`);
    }
    if (o.type === 'event') {
      events.push({
        seq: o.seq, prev_hash: o.prevHash, hash: o.hash, time: o.time, req_id: o.reqId, identity: o.identity,
        credential: o.credential, action: o.action, ca_id: o.caId, target: o.target, outcome: o.outcome,
        status: o.status, serial: o.serial, csr_sha256: o.csrSha256, client: o.client,
      });
    } else if (o.type === 'checkpoint') {
      checkpoints.push({
        id: o.id, event_seq: o.eventSeq, head_hash: o.headHash, time: o.time, key_id: o.keyId,
        algorithm: o.algorithm, signature: o.signature,
      });
    } else throw new Error(`line ${i + 1} is neither an event nor a checkpoint`);
  });
  return { events: events.sort((a, b) => a.seq - b.seq), checkpoints: checkpoints.sort((a, b) => a.id - b.id) };
}
