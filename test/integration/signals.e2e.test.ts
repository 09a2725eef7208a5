/**
 * The built daemon (two workers) under load, through the typed client: SIGTERM, passed on by the
 * primary to each worker, loses no request it accepted and exits 0; SIGHUP, passed on too,
 * reloads the log level without a failed request, and a configuration that does not validate
 * changes nothing. Plus the human log format for terminals.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { apiClient } from '../helpers/api-client';
import { opensslCsr } from '../helpers/csr-factory';
import { daemonEnv, runCli, startDaemon, type Daemon } from '../helpers/daemon';
import { Load } from '../helpers/load';
import { createSoftHsmToken } from '../helpers/softhsm';

/** Waits (bounded) until the daemon has written a stderr line matching `re`. */
async function logged(d: Daemon, re: RegExp): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const line = d.stderr.find((l) => re.test(l));
    if (line) return line;
    await sleep(20);
  }
  assert.fail(`the daemon never logged ${re}; stderr:\n${d.stderr.join('\n')}`);
}

const jsonLines = (d: Daemon): Record<string, unknown>[] =>
  d.stderr.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('built daemon: signals under load (e2e)', function () {
  this.timeout(300_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let daemon: Daemon | undefined;
  let caId: string;
  let token: string;
  let request: { caId: string; csr: string; notAfter: string };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-signals-'));
    // Two workers: the primary must pass every signal on to each of them.
    env = daemonEnv(createSoftHsmToken(), path.join(dir, 'hsmca.db'), { HSMCA_WORKERS: '2' });
    const ca = runCli(['ca', 'create-root', '--name', 'root', '--key-algorithm', 'EC_prime256v1',
      '--common-name', 'Signals Root', '--not-after', '2040-01-01T00:00:00Z'], env);
    assert.equal(ca.status, 0, ca.stderr);
    caId = JSON.parse(ca.stdout).id;
    token = JSON.parse(runCli(['token', 'create', '--name', 'load', '--grant', 'sign-intermediate:*'], env).stdout).token;
    request = { caId, csr: opensslCsr('P-256').csr, notAfter: new Date(Date.now() + 86400_000).toISOString() };
  });
  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    daemon = undefined;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('SIGTERM during load: every accepted request is answered and committed, then exit 0', async () => {
    daemon = await startDaemon(env);
    const load = new Load(apiClient(daemon.url, token), request, 16);
    await load.until(200);
    load.markSignalled();
    const exited = daemon.stop('SIGTERM');
    const outcomes = await load.drained();
    assert.equal(await exited, 0);
    daemon = undefined;

    const answered = outcomes.filter((o) => o.status !== undefined);
    assert.ok(answered.every((o) => o.status === 200), JSON.stringify(answered.find((o) => o.status !== 200)));
    assert.ok(answered.some((o) => o.afterSignal), 'requests in flight at SIGTERM were answered');
    const db = new SQLite(env.HSMCA_DATABASE!, { readonly: true });
    const audited = db.prepare("SELECT req_id FROM audit_events WHERE action = 'sign-intermediate'").all() as { req_id: string }[];
    const committed = db.prepare('SELECT serial FROM certificates').all() as { serial: string }[];
    db.close();
    // Accepted = reached the handler = audited. Each got its answer; the rest were refused at the door.
    assert.deepEqual(new Set(audited.map((a) => a.req_id)), new Set(answered.map((o) => o.reqId)));
    assert.deepEqual(new Set(committed.map((c) => c.serial)), new Set(answered.map((o) => o.serial)));
    assert.ok(outcomes.filter((o) => o.error).every((o) => o.afterSignal));
    assert.ok(daemon === undefined);
  });

  it('SIGHUP reloads the log level with no failed request; an invalid file changes nothing', async () => {
    const file = path.join(dir, 'hsmca.yaml');
    fs.writeFileSync(file, 'logLevel: warn\n');
    daemon = await startDaemon({ ...env, HSMCA_CONFIG: file, HSMCA_LOG_LEVEL: '' });
    const load = new Load(apiClient(daemon.url, token), request, 4);
    await load.until(20);
    assert.equal(jsonLines(daemon).filter((l) => l.msg === 'request').length, 0, 'warn: no request lines yet');

    fs.writeFileSync(file, 'logLevel: info\n');
    daemon.proc.kill('SIGHUP');
    const reloaded = JSON.parse(await logged(daemon, /SIGHUP: configuration reloaded/));
    assert.deepEqual(reloaded.reloaded, ['log level']);
    for (let i = 0; i < 100 && daemon.stderr.filter((l) => /SIGHUP: configuration reloaded/.test(l)).length < 2; i++) await sleep(20);
    assert.equal(daemon.stderr.filter((l) => /SIGHUP: configuration reloaded/.test(l)).length, 2, 'each worker reloaded');
    const line = JSON.parse(await logged(daemon, /"msg":"request"/));
    assert.match(line.reqId, /^req-[0-9A-Za-z]{14}$/);
    assert.deepEqual([line.identity, line.ca, line.outcome, line.status], ['load', caId, 'issued', 200]);

    fs.writeFileSync(file, 'logLevel: loud\nsurprise: 1\n');
    daemon.proc.kill('SIGHUP');
    const refused = JSON.parse(await logged(daemon, /configuration invalid; nothing changed/));
    assert.deepEqual(refused.problems, ['surprise: unknown setting', 'logLevel: must be one of fatal, error, warn, info, debug, trace, silent']);
    const requestsBefore = jsonLines(daemon).filter((l) => l.msg === 'request').length;
    await load.until(load.outcomes.length + 20);
    const outcomes = await load.stop();
    assert.ok(jsonLines(daemon).filter((l) => l.msg === 'request').length > requestsBefore, 'still at info');
    assert.ok(outcomes.length >= 40 && outcomes.every((o) => o.status === 200), 'no failed request');
    assert.equal(await daemon.stop('SIGTERM'), 0);
    daemon = undefined;
  });

  it('logFormat pretty writes human lines for a terminal', async () => {
    daemon = await startDaemon({ ...env, HSMCA_LOG_FORMAT: 'pretty', HSMCA_LOG_LEVEL: 'info' });
    const line = await logged(daemon, /listening/);
    assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening/);
    assert.equal(await daemon.stop('SIGTERM'), 0);
    daemon = undefined;
  });
});
