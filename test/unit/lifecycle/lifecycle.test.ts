import assert from 'node:assert/strict';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load';
import { logLevelReloadable, Reloadables } from '../../../src/lifecycle/reloadables';
import { ShutdownHooks } from '../../../src/lifecycle/shutdown-hooks';

const env = { HSMCA_PKCS11_MODULE: '/x.so', HSMCA_PKCS11_TOKEN: 't' };
const log = pino({ level: 'silent' });

describe('lifecycle: reloadables and shutdown hooks', () => {
  it('SIGHUP reload applies the log level, names settings that need a restart, and survives a failing part', async () => {
    const current = loadConfig(undefined, { ...env, HSMCA_LOG_LEVEL: 'warn' });
    const next = loadConfig(undefined, { ...env, HSMCA_LOG_LEVEL: 'debug', HSMCA_LISTEN: '0.0.0.0:9000' });
    const target = pino({ level: 'warn' });
    const reloadables = new Reloadables();
    reloadables.add({ name: 'broken', keys: ['publicBaseUrl'], reload: () => { throw new Error('no'); } });
    reloadables.add(logLevelReloadable(target));
    const report = await reloadables.reloadAll(current, next, log);
    assert.equal(target.level, 'debug');
    assert.deepEqual(report, { reloaded: ['log level'], failed: ['broken'], needRestart: ['listen'] });
  });

  it('reloads run one after another, in the order they were asked for', async () => {
    const order: string[] = [];
    const reloadables = new Reloadables();
    reloadables.add({
      name: 'slow', keys: ['logLevel'],
      reload: async (c) => { await new Promise((r) => setTimeout(r, c.logLevel === 'info' ? 30 : 0)); order.push(c.logLevel); },
    });
    const base = loadConfig(undefined, env);
    await Promise.all([
      reloadables.reloadAll(base, loadConfig(undefined, { ...env, HSMCA_LOG_LEVEL: 'info' }), log),
      reloadables.reloadAll(base, loadConfig(undefined, { ...env, HSMCA_LOG_LEVEL: 'error' }), log),
    ]);
    assert.deepEqual(order, ['info', 'error']);
  });

  it('shutdown hooks run in order; a failing one is reported and the next still runs', async () => {
    const ran: string[] = [];
    const hooks = new ShutdownHooks();
    hooks.add('first', async () => { ran.push('first'); });
    hooks.add('failing', async () => { throw new Error('checkpoint write failed'); });
    hooks.add('last', async () => { ran.push('last'); });
    assert.equal(await hooks.runAll(log), false);
    assert.deepEqual(ran, ['first', 'last']);
    assert.equal(await new ShutdownHooks().runAll(log), true);
  });
});
