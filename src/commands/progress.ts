/**
 * Progress on stderr for CLI operations that take seconds (RSA-4096 generation in an HSM):
 * on a terminal one line that counts up in place; elsewhere (logs, CI) a line when it starts,
 * one every few seconds while it runs, and one when it ends. stdout stays the result alone.
 */
const TICK_TTY_MS = 1000;
const TICK_LOG_MS = 5000;

export async function withProgress<T>(label: string, work: () => Promise<T>, out: NodeJS.WriteStream = process.stderr): Promise<T> {
  const started = Date.now();
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const tty = out.isTTY === true;
  out.write(tty ? `${label}…` : `${label}…\n`);
  const timer = setInterval(() => {
    out.write(tty ? `\r${label}… ${elapsed()}` : `${label}… still working (${elapsed()})\n`);
  }, tty ? TICK_TTY_MS : TICK_LOG_MS);
  try {
    const result = await work();
    out.write(`${tty ? '\r' : ''}${label}: done in ${elapsed()}\n`);
    return result;
  } catch (e) {
    out.write(`${tty ? '\r' : ''}${label}: failed after ${elapsed()}\n`);
    throw e;
  } finally {
    clearInterval(timer);
  }
}
