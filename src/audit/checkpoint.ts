import type { Logger } from 'pino';
import type { Signer } from '../keystore/keystore';
import type { AuditCheckpointRow, Store } from '../store';
import { checkpointPayload, keyIdOf, type CheckpointClaim } from './canonical';

export type Checkpoint = Omit<AuditCheckpointRow, 'id'>;

/**
 * Signs "the chain's head is event N with hash H" with the audit key in the HSM and stores it.
 * Nothing is signed for an empty chain or a head the latest checkpoint already covers, and nothing
 * is stored when another process sealed a later head while this one was signing.
 */
export async function signCheckpoint(store: Store, signer: Signer, now = new Date()): Promise<Checkpoint | undefined> {
  const head = await store.audit.head();
  if (!head) return undefined;
  const last = (await store.audit.checkpoints()).at(-1);
  if (last && last.event_seq === head.seq && last.head_hash === head.hash) return undefined;
  const claim: CheckpointClaim = { eventSeq: head.seq, headHash: head.hash, time: now.toISOString(), keyId: keyIdOf(signer.spki) };
  const signature = await signer.sign(checkpointPayload(claim));
  const row: Checkpoint = {
    event_seq: claim.eventSeq, head_hash: claim.headHash, time: claim.time, key_id: claim.keyId,
    algorithm: signer.signatureAlgorithm, signature: signature.toString('base64'),
  };
  // Another process may have sealed a later head meanwhile: then this one is not needed.
  return (await store.audit.insertCheckpoint(row)) ? row : undefined;
}

/**
 * Signs a checkpoint every `intervalMs` (0: only on stop) and once more on stop, after the last
 * request has been answered. Each checkpoint is also logged, so a copy lives outside the database.
 */
export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly signer: () => Promise<Signer>,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs > 0) this.timer = setInterval(() => void this.checkpoint(), this.intervalMs).unref();
  }

  /** One checkpoint now (serialised with any in progress); failures are logged, not thrown. */
  checkpoint(): Promise<void> {
    this.running = this.running.then(async () => {
      try {
        const row = await signCheckpoint(this.store, await this.signer());
        if (row) this.log.info({ audit: { checkpoint: row } }, 'audit checkpoint signed');
      } catch (err) {
        this.log.error({ err }, 'audit checkpoint failed');
      }
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checkpoint();
  }
}
