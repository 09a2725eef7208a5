/**
 * Group commit (several issuances committed in one database transaction) batches writes in the
 * store layer, which is built before, and knows nothing of, the HTTP layer and its metrics. So
 * this one histogram is process-wide: the store calls `observeGroupCommitBatch` and every
 * `Metrics` registry in the process exposes it.
 */
import { Histogram } from 'prom-client';

export const groupCommitBatchSize = new Histogram({
  name: 'hsmca_group_commit_batch_size',
  help: 'Rows written per group-commit transaction',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  registers: [],
});

/** Records one group-commit transaction of `rows` rows. Cheap; never throws. */
export function observeGroupCommitBatch(rows: number): void {
  groupCommitBatchSize.observe(rows);
}
