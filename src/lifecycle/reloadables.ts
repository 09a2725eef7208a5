import type { Logger } from 'pino';
import type { Config } from '../config/config';

/** Something SIGHUP can change in a running daemon without dropping a request. */
export interface Reloadable {
  /** Named in the logs, e.g. 'log level', 'TLS certificate'. */
  readonly name: string;
  /** Top-level config keys it applies; a change to any other key needs a restart. */
  readonly keys: readonly (keyof Config)[];
  /** Applies `next`. Throwing leaves this part as it was; the others still reload. */
  reload(next: Config): void | Promise<void>;
}

export interface ReloadReport {
  reloaded: string[];
  failed: string[];
  /** Keys that changed but that nothing here can apply: the daemon must be restarted for them. */
  needRestart: string[];
}

/**
 * The runtime's list of reloadables. `reloadAll` is serialized, so two SIGHUPs in a row apply
 * in order rather than interleave.
 */
export class Reloadables {
  private readonly items: Reloadable[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  add(item: Reloadable): void {
    this.items.push(item);
  }

  reloadAll(current: Config, next: Config, log: Logger): Promise<ReloadReport> {
    const run = this.queue.then(() => this.apply(current, next, log));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(current: Config, next: Config, log: Logger): Promise<ReloadReport> {
    const report: ReloadReport = { reloaded: [], failed: [], needRestart: [] };
    for (const item of this.items) {
      try {
        await item.reload(next);
        report.reloaded.push(item.name);
      } catch (err) {
        report.failed.push(item.name);
        log.error({ reloadable: item.name, err }, 'reload failed; keeping the previous setting');
      }
    }
    const handled = new Set<string>(this.items.flatMap((i) => i.keys));
    const changed = (Object.keys({ ...current, ...next }) as (keyof Config)[])
      .filter((k) => JSON.stringify(current[k]) !== JSON.stringify(next[k]));
    report.needRestart = changed.filter((k) => !handled.has(k));
    return report;
  }
}

/** The log level, applied at once to the logger every part of the daemon writes through. */
export const logLevelReloadable = (log: Logger): Reloadable => ({
  name: 'log level',
  keys: ['logLevel'],
  reload(next) {
    log.level = next.logLevel;
  },
});
