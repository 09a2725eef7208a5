/**
 * No Docker engine runs here, so CI checks the Dockerfile's commands rather than the image: its
 * build steps are the README's and CI's, and its ENTRYPOINT + CMD, HEALTHCHECK and STOPSIGNAL are
 * run from the checkout the way the container runs them (the demo form, SoftHSM under
 * HSMCA_VAR): serve, sign, healthy; the token goes away, unhealthy; SIGTERM, exit 0.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiClient } from '../helpers/api-client';
import { opensslCsr } from '../helpers/csr-factory';
import { startDaemon, type Daemon } from '../helpers/daemon';
import { envOf, execForm, readDockerfile, REPO, type Instruction } from '../helpers/dockerfile';

const freePort = (): Promise<number> => new Promise((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as net.AddressInfo;
    srv.close(() => resolve(port));
  });
});

const one = (all: Instruction[], keyword: string): Instruction => {
  const found = all.filter((i) => i.keyword === keyword);
  assert.equal(found.length, 1, `one ${keyword}`);
  return found[0];
};

describe('Dockerfile (its commands, run without Docker)', function () {
  this.timeout(180_000);
  const ins = readDockerfile();
  const finalStage = Math.max(...ins.map((i) => i.stage));
  let daemon: Daemon | undefined;
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsmca-docker-'));
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is multi-stage on node:20-bookworm-slim, non-root, STOPSIGNAL SIGTERM, HEALTHCHECK on /readyz', () => {
    assert.deepEqual(ins.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(' ')[0]), ['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    const user = one(ins, 'USER');
    assert.equal(user.stage, finalStage);
    assert.doesNotMatch(user.args, /^(root|0)(:|$)/);
    const useradd = ins.find((i) => i.stage === finalStage && i.keyword === 'RUN' && i.args.includes('useradd'));
    assert.match(useradd?.args ?? '', new RegExp(`useradd [^&]*--uid [1-9]\\d*[^&]* ${user.args}( |$)`));
    assert.equal(one(ins, 'STOPSIGNAL').args, 'SIGTERM');
    assert.deepEqual(execForm(one(ins, 'HEALTHCHECK').args), ['node', 'scripts/healthcheck.js']);
    assert.match(fs.readFileSync(path.join(REPO, 'scripts/healthcheck.js'), 'utf8'), /\/readyz/);
    assert.ok(ins.some((i) => i.stage === finalStage && i.keyword === 'RUN' && /install .*softhsm2/.test(i.args)), 'SoftHSM for the demo');
  });

  it("builds with the README's and CI's commands, and copies only what exists", () => {
    const npm = ins.filter((i) => i.keyword === 'RUN').flatMap((i) => i.args.split('&&').map((c) => c.trim()))
      .filter((c) => c.startsWith('npm '));
    assert.deepEqual(npm, ['npm ci', 'npm run build', 'npm prune --omit=dev']);
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    assert.ok(readme.includes('npm ci && npm run build'), 'the README builds the same way');
    const ci = fs.readFileSync(path.join(REPO, 'scripts/ensure-node.sh'), 'utf8'); // .ci/run → npm test → here
    assert.match(ci, /npm ci\b/);
    assert.match(ci, /npm run (--silent )?build\b/);
    const scripts = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts;
    assert.ok(scripts.build);
    for (const copy of ins.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      for (const src of copy.args.split(/\s+/).slice(0, -1)) assert.ok(fs.existsSync(path.join(REPO, src)), `COPY ${src}`);
    }
    const copied = ins.filter((i) => i.keyword === 'COPY' && i.stage === finalStage).map((i) => i.args).join(' ');
    const entry = execForm(one(ins, 'ENTRYPOINT').args);
    for (const file of [entry[0], 'scripts/healthcheck.js', 'scripts/setup-softhsm.sh']) assert.ok(copied.includes(file), `${file} is in the image`);
    assert.ok(fs.statSync(path.join(REPO, entry[0])).mode & 0o111, 'the entrypoint is executable');
    assert.match(fs.readFileSync(path.join(REPO, entry[0]), 'utf8'), /^exec node dist\/cli\.js "\$@"$/m, "the README's command");
  });

  it('ENTRYPOINT + CMD serve; HEALTHCHECK passes, fails when the token goes, and STOPSIGNAL exits 0', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: process.env.HOME, ...envOf(ins),
      HSMCA_VAR: dir, HSMCA_DATABASE: path.join(dir, 'hsmca.db'), HSMCA_LISTEN: `127.0.0.1:${port}`, HSMCA_DEMO: '1',
    };
    const entry = [path.join(REPO, execForm(one(ins, 'ENTRYPOINT').args)[0])];
    const run = (...args: string[]) => spawnSync(entry[0], args, { cwd: REPO, env, encoding: 'utf8', timeout: 120_000 });
    const healthcheck = () => spawnSync(execForm(one(ins, 'HEALTHCHECK').args)[0], execForm(one(ins, 'HEALTHCHECK').args).slice(1), { cwd: REPO, env, encoding: 'utf8' });

    const root = run('ca', 'create-root', '--name', 'demo', '--key-algorithm', 'EC_prime256v1', '--common-name', 'Docker Demo Root', '--not-after', '2040-01-01T00:00:00Z');
    assert.equal(root.status, 0, root.stderr);
    const caId = JSON.parse(root.stdout).id;
    const token = JSON.parse(run('token', 'create', '--name', 'docker', '--grant', 'sign-intermediate:*').stdout).token;

    daemon = await startDaemon(env, [...entry, ...execForm(one(ins, 'CMD').args)]);
    const api = apiClient(daemon.url, token);
    const signed = await api.POST('/api/v1/cert-manager/ca/internal/{caId}/sign-intermediate', {
      params: { path: { caId } }, body: { csr: opensslCsr('P-256').csr, notAfter: '2030-01-01T00:00:00Z' },
    });
    assert.equal(signed.response.status, 200);
    let health = healthcheck();
    for (let i = 0; i < 50 && health.status !== 0; i++, await sleep(100)) health = healthcheck();
    assert.equal(health.status, 0, health.stderr);

    fs.renameSync(path.join(dir, 'softhsm/tokens'), path.join(dir, 'softhsm/tokens-away'));
    for (let i = 0; i < 50 && health.status === 0; i++, await sleep(100)) health = healthcheck();
    assert.equal(health.status, 1);
    assert.match(health.stderr, /^readyz: 503 Not ready: HSM: /);
    const ready = await api.GET('/readyz');
    assert.equal(ready.response.status, 503);

    assert.equal(await daemon.stop(one(ins, 'STOPSIGNAL').args as NodeJS.Signals), 0);
    daemon = undefined;
  });
});
