/**
 * Rows read on every request (the token, its identity, the CA), kept in memory for as long as
 * nobody has written to their tables. Migration 004's triggers bump `lookup_epoch.n` on every
 * such write, whoever makes it; one read of that counter replaces the three lookups, and a
 * changed counter empties the cache.
 *
 * How fresh: the counter is read at most once per turn of the event loop (every request starts
 * in a turn of its own: its socket's data), and again after each of this process's own commits,
 * so a request sees every write committed before it began, as the uncached lookups would.
 */
export class LookupCache {
  private epoch: number | undefined;
  /** The counter read for this turn of the event loop, or being read. */
  private current: Promise<void> | undefined;
  private readonly rows = new Map<string, unknown>();

  constructor(private readonly readEpoch: () => Promise<number>, private readonly maxRows = 10_000) {}

  /** The row for `key`: from memory while the counter is unchanged, else from `load`. */
  async get<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    await (this.current ??= this.check());
    if (this.rows.has(key)) return this.rows.get(key) as T | undefined;
    const epoch = this.epoch;
    const row = await load();
    // Cached under the counter read before the load: a write in between bumps it past this one.
    if (epoch === this.epoch) {
      if (this.rows.size >= this.maxRows) this.rows.clear(); // unknown tokens must not grow it forever
      // Shared by every caller from now on: frozen, so nobody edits another request's copy.
      this.rows.set(key, row && typeof row === 'object' ? Object.freeze(row) : row);
    }
    return row;
  }

  /** After a commit of this process: the next lookup reads the counter again. */
  stale(): void {
    this.current = undefined;
  }

  private async check(): Promise<void> {
    setImmediate(() => this.stale());
    try {
      const n = await this.readEpoch();
      if (n !== this.epoch) {
        this.rows.clear();
        this.epoch = n;
      }
    } catch (e) {
      this.stale();
      throw e;
    }
  }
}
