import type { Logger } from 'pino';

/** Work to do on SIGTERM after the last in-flight request finished, before sessions and database close. */
export interface ShutdownHook {
  /** Named in the logs, e.g. 'final audit checkpoint'. */
  readonly name: string;
  run(): Promise<void>;
}

/**
 * The runtime's list of shutdown hooks (e.g. the final audit checkpoint). They run once, in the
 * order they were added, while the database and the key store are still open; a failing hook is
 * logged and the next one still runs.
 */
export class ShutdownHooks {
  private readonly hooks: ShutdownHook[] = [];

  add(name: string, run: () => Promise<void>): void {
    this.hooks.push({ name, run });
  }

  /** Runs every hook; resolves to false when any failed. */
  async runAll(log: Logger): Promise<boolean> {
    let ok = true;
    for (const hook of this.hooks) {
      try {
        await hook.run();
        log.info({ hook: hook.name }, 'shutdown hook done');
      } catch (err) {
        ok = false;
        log.error({ hook: hook.name, err }, 'shutdown hook failed');
      }
    }
    return ok;
  }
}
