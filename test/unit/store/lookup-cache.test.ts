/**
 * LookupCache's rules on their own (the store suites show them on both engines): rows are kept
 * while the counter is unchanged, a changed counter drops them all, the counter is read again in
 * every turn of the event loop and after `stale()`, and a row loaded while the counter moved is
 * not kept.
 */
import assert from 'node:assert/strict';
import { LookupCache } from '../../../src/store/lookup-cache';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('store: lookup cache', () => {
  let epoch: number;
  let epochReads: number;
  let loads: number;
  let cache: LookupCache;
  const load = (value: string) => async (): Promise<{ v: string }> => {
    loads++;
    return { v: value };
  };

  beforeEach(() => {
    epoch = 1;
    epochReads = 0;
    loads = 0;
    cache = new LookupCache(async () => (epochReads++, epoch));
  });

  it('keeps rows (frozen) while the counter holds, and reads the counter once per turn', async () => {
    const a = await cache.get('k', load('one'));
    const b = await cache.get('k', load('two'));
    assert.deepEqual([a, b], [{ v: 'one' }, { v: 'one' }]);
    assert.ok(Object.isFrozen(a));
    assert.equal(epochReads, 1);
    await turn();
    assert.deepEqual(await cache.get('k', load('three')), { v: 'one' });
    assert.equal(epochReads, 2);
    assert.equal(loads, 1);
  });

  it('drops every row when the counter moves, and after stale() reads it again at once', async () => {
    await cache.get('k', load('one'));
    epoch = 2;
    assert.deepEqual(await cache.get('k', load('two')), { v: 'one' }); // same turn: not read again
    cache.stale();
    assert.deepEqual(await cache.get('k', load('two')), { v: 'two' });
  });

  it('does not keep a row loaded while the counter moved', async () => {
    let release!: () => void;
    const slow = cache.get('k', () => new Promise<{ v: string }>((r) => (release = () => r({ v: 'old' }))));
    await turn();
    epoch = 2;
    cache.stale();
    assert.deepEqual(await cache.get('other', load('x')), { v: 'x' }); // reads the new counter
    release();
    assert.deepEqual(await slow, { v: 'old' });
    assert.deepEqual(await cache.get('k', load('new')), { v: 'new' });
  });

  it('remembers a missing row as missing until the counter moves', async () => {
    assert.equal(await cache.get('k', async () => (loads++, undefined)), undefined);
    assert.equal(await cache.get('k', load('late')), undefined);
    epoch = 2;
    cache.stale();
    assert.deepEqual(await cache.get('k', load('late')), { v: 'late' });
  });

  it('a failed counter read fails the lookup and is tried again next time', async () => {
    let fail = true;
    const flaky = new LookupCache(async () => {
      if (fail) throw new Error('database is down');
      return 1;
    });
    await assert.rejects(flaky.get('k', load('x')), /database is down/);
    fail = false;
    assert.deepEqual(await flaky.get('k', load('y')), { v: 'y' });
  });
});
