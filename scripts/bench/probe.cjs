// Loaded into every daemon process by `npm run bench` (NODE_OPTIONS=--require): records the
// event loop's delay and writes it, with the process's memory (RSS and V8's heap), to
// HSMCA_BENCH_PROBE_DIR/<pid>.json every 500 ms. Touching <dir>/reset starts a new measurement
// window. Not part of the daemon.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { isMainThread } = require('node:worker_threads');
const dir = process.env.HSMCA_BENCH_PROBE_DIR;
// NODE_OPTIONS' --require runs in worker threads too (the signing and checkpoint threads): only
// the main thread's event loop is the one requests wait on, and the file is named by process.
if (dir && isMainThread) {
  const RESOLUTION_MS = 10;
  // The histogram records the time between its timer's ticks, the resolution included (an idle
  // loop reads ~10.2 ms at p50): the loop's delay is what is past it.
  const delay = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  let resetAt = 0;
  setInterval(() => {
    try {
      const t = fs.statSync(path.join(dir, 'reset')).mtimeMs;
      if (t !== resetAt) {
        resetAt = t;
        h.reset();
      }
    } catch {
      // no reset file yet
    }
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)[1]);
    fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify({
      pid: process.pid, p50: delay(h.percentile(50)), p99: delay(h.percentile(99)), max: delay(h.max),
      rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), memory: process.memoryUsage(),
    }));
  }, 500).unref();
}
