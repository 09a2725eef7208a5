// Loaded into every daemon process by `npm run bench` (NODE_OPTIONS=--require): records the
// event loop's delay and writes it, with the process's memory (RSS and V8's heap), to HSMCA_BENCH_PROBE_DIR/<pid>.json
// every 500 ms. Touching <dir>/reset starts a new measurement window. Not part of the daemon.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { isMainThread } = require('node:worker_threads');
const dir = process.env.HSMCA_BENCH_PROBE_DIR;
// NODE_OPTIONS' --require runs in worker threads too (the signing and checkpoint threads): only
// the main thread's event loop is the one requests wait on, and the file is named by process.
if (dir && isMainThread) {
  const h = monitorEventLoopDelay({ resolution: 10 });
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
      pid: process.pid, p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6,
      rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), memory: process.memoryUsage(),
    }));
  }, 500).unref();
}
