/**
 * The load generator when Debian's `wrk` is installed: written in C, it takes far less of the two
 * cores than a Node client (~0.27 ms of CPU per request), so more of the machine is left to the
 * server being measured — the same for ours and cfssl. One wrk thread, `concurrency` keep-alive
 * connections, closed loop.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadOptions, LoadResult } from './loadgen';

export const wrkAvailable = (): boolean => spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;

interface WrkSummary {
  requests: number; durationUs: number; status: number;
  connect: number; read: number; write: number; timeout: number;
  p50Us: number; p99Us: number;
}

export function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-wrk-'));
  const bodyFile = path.join(dir, 'body');
  const headersFile = path.join(dir, 'headers');
  fs.writeFileSync(bodyFile, opts.body);
  const headers = { 'content-type': 'application/json', ...opts.headers };
  fs.writeFileSync(headersFile, Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n'));
  const args = ['-t', '1', '-c', String(opts.concurrency), '-d', `${opts.seconds}s`, '--timeout', '30s',
    '-s', path.join(__dirname, 'wrk.lua'), opts.url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { env: { ...process.env, WRK_BODY_FILE: bodyFile, WRK_HEADERS_FILE: headersFile } }, (err, _out, stderr) => {
      fs.rmSync(dir, { recursive: true, force: true });
      const line = stderr.split('\n').find((l) => l.startsWith('{"requests"'));
      if (err || !line) return reject(new Error(`wrk failed: ${err?.message ?? ''} ${stderr}`));
      const s = JSON.parse(line) as WrkSummary;
      const seconds = s.durationUs / 1e6;
      // wrk counts answers with a status ≥ 400 as `status` errors; it keeps no per-code counts.
      const statuses: Record<number, number> = { 200: s.requests - s.status };
      if (s.status > 0) statuses[400] = s.status;
      resolve({
        requests: s.requests, seconds, perSecond: s.requests / seconds,
        p50: s.p50Us / 1000, p99: s.p99Us / 1000, statuses,
        errors: s.connect + s.read + s.write + s.timeout,
      });
    });
  });
}
