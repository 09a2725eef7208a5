import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Checkpointer } from '../../../src/store/checkpointer';

/**
 * Writes a batch every millisecond, as the daemon does under steady load, for `ms`; returns the
 * bytes written and the largest the WAL got.
 */
async function writeSteadily(db: SQLite.Database, wal: string, ms: number): Promise<{ written: number; maxWal: number }> {
  const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
  const batch = db.transaction(() => {
    for (let i = 0; i < 20; i++) insert.run(crypto.randomBytes(1000));
  });
  let written = 0;
  let maxWal = 0;
  for (const end = Date.now() + ms; Date.now() < end;) {
    batch();
    written += 20 * 1000;
    maxWal = Math.max(maxWal, fs.statSync(wal).size);
    await new Promise((r) => setTimeout(r, 1));
  }
  return { written, maxWal };
}

describe('WAL checkpointer', () => {
  let dir: string;
  let file: string;
  let db: SQLite.Database;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-cp-'));
    file = path.join(dir, 'db.sqlite');
    db = new SQLite(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (x BLOB)');
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the WAL bounded under writes that never stop, where PASSIVE checkpoints alone do not', async () => {
    const failures: string[] = [];
    const run = async (maxWalBytes: number) => {
      const checkpointer = new Checkpointer(file, { intervalMs: 20, maxWalBytes, onFailure: (m) => failures.push(m) });
      try {
        return await writeSteadily(db, `${file}-wal`, 1500);
      } finally {
        await checkpointer.close();
      }
    };
    const passiveOnly = await run(Number.MAX_SAFE_INTEGER);
    assert.ok(passiveOnly.maxWal > 8 * 1024 * 1024, `PASSIVE alone kept the WAL at ${passiveOnly.maxWal} bytes`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bounded = await run(512 * 1024);
    // Relative, not absolute: on a busy machine a RESTART may find the lock taken a few times
    // running (seen once in a full run: 6.8 MB against the usual ~1 MB).
    assert.ok(bounded.maxWal < passiveOnly.maxWal / 2,
      `WAL reached ${bounded.maxWal} bytes after ${bounded.written} written; PASSIVE alone ${passiveOnly.maxWal}`);
    const rows = (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
    assert.equal(rows * 1000, passiveOnly.written + bounded.written);
    // Checkpoints that found the database busy are retried, not reported.
    assert.deepEqual(failures, []);
  });

  it('reports a checkpointer that cannot work instead of taking the process down', async () => {
    const garbage = path.join(dir, 'not-a-database');
    fs.writeFileSync(garbage, crypto.randomBytes(8192));
    const failures: string[] = [];
    const reported = new Promise<void>((resolve) => {
      const checkpointer = new Checkpointer(garbage, {
        intervalMs: 20,
        onFailure: (m) => {
          failures.push(m);
          resolve();
        },
      });
      after(() => checkpointer.close());
    });
    await reported;
    assert.match(failures[0], /^WAL checkpointer stopped: .*not a database/);
  });
});
