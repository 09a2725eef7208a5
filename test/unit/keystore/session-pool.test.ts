import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { LeaseAborted, SessionPool } from '../../../src/keystore/pkcs11/session-pool';

/** The pool is generic; plain objects stand in for sessions to pin down its ordering rules. */
function makePool(size: number, discardOn: (err: unknown) => boolean = () => true) {
  let next = 0;
  const closed: number[] = [];
  const pool = new SessionPool<{ n: number }>({
    size,
    open: async () => ({ n: next++ }),
    close: (s) => closed.push(s.n),
    discardOn,
    closedError: () => new Error('closed'),
  });
  return { pool, closed, opened: () => next };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('keystore/pkcs11 SessionPool', () => {
  it('at the token\'s session limit, makes do with the sessions it holds: leases wait, none fails', async () => {
    const LIMIT = Object.assign(new Error('CKR_SESSION_COUNT'), { limit: true });
    let opened = 0;
    const pool = new SessionPool<{ n: number }>({
      size: 8,
      open: async () => {
        if (opened >= 2) throw LIMIT; // another process holds the rest of the token's sessions
        return { n: opened++ };
      },
      close: () => undefined,
      discardOn: () => true,
      atLimit: (err) => err === LIMIT,
      closedError: () => new Error('closed'),
    });
    const used = await Promise.all(Array.from({ length: 20 }, () => pool.use(async (s) => {
      await tick();
      return s.n;
    })));
    assert.equal(used.length, 20);
    assert.equal(opened, 2);
    assert.equal(pool.capacity, 2);
    assert.deepEqual(pool.stats, { idle: 2, leased: 0, waiting: 0 });
  });

  it('with no session at all, the limit is an error, not a wait', async () => {
    const LIMIT = new Error('CKR_SESSION_COUNT');
    const pool = new SessionPool<object>({
      size: 4, open: async () => { throw LIMIT; }, close: () => undefined, discardOn: () => true,
      atLimit: (err) => err === LIMIT, closedError: () => new Error('closed'),
    });
    await assert.rejects(pool.use(async () => 1), (e) => e === LIMIT);
  });

  it('never leases one session twice at once and never opens more than size', async () => {
    const { pool, opened } = makePool(3);
    const busy = new Set<number>();
    let peak = 0;
    await Promise.all(Array.from({ length: 50 }, () => pool.use(async (s) => {
      assert.ok(!busy.has(s.n), 'session leased twice');
      busy.add(s.n);
      peak = Math.max(peak, busy.size);
      await tick();
      busy.delete(s.n);
    })));
    assert.equal(opened(), 3);
    assert.equal(peak, 3);
  });

  it('serves waiters first come, first served', async () => {
    const { pool } = makePool(1);
    const gate = deferred();
    const order: number[] = [];
    const first = pool.use(() => gate.promise);
    const rest = [1, 2, 3, 4].map((i) => pool.use(async () => void order.push(i)));
    assert.equal(pool.stats.waiting, 4);
    gate.resolve();
    await Promise.all([first, ...rest]);
    assert.deepEqual(order, [1, 2, 3, 4]);
  });

  it('closes a session whose operation failed and opens a fresh one for the next waiter', async () => {
    const { pool, closed } = makePool(1);
    const failing = pool.use(async () => { await tick(); throw new Error('CKR_DEVICE_ERROR'); });
    const next = pool.use(async (s) => s.n);
    await assert.rejects(failing, /CKR_DEVICE_ERROR/);
    assert.equal(await next, 1);
    assert.deepEqual(closed, [0]);
  });

  it('keeps a session after a failure discardOn deems harmless', async () => {
    const { pool, closed } = makePool(1, () => false);
    await assert.rejects(pool.use(async () => { throw new Error('validation'); }));
    assert.equal(await pool.use(async (s) => s.n), 0);
    assert.deepEqual(closed, []);
  });

  it('rejects every waiter when opening a replacement fails, leaving none stranded', async () => {
    let fail = false;
    let next = 0;
    const pool = new SessionPool<number>({
      size: 1,
      open: async () => { if (fail) throw new Error('token gone'); return next++; },
      close: () => undefined,
      discardOn: () => true,
      closedError: () => new Error('closed'),
    });
    const first = pool.use(async () => { await tick(); fail = true; throw new Error('lost'); });
    const waiters = [pool.use(async () => 1), pool.use(async () => 2)];
    await assert.rejects(first, /lost/);
    for (const w of waiters) await assert.rejects(w, /token gone/);
  });

  it('retires leased sessions on reset() and closes idle ones at once', async () => {
    const { pool, closed } = makePool(2);
    await Promise.all([pool.use((s) => tick(s)), pool.use((s) => tick(s))]);
    const gate = deferred();
    const leased = pool.use(() => gate.promise);
    pool.reset();
    assert.equal(closed.length, 1, 'the idle session is closed at once');
    gate.resolve();
    await leased;
    assert.equal(closed.length, 2, 'the leased one is closed on return');
    assert.equal(await pool.use(async (s) => s.n), 2);
  });

  it('close() rejects waiters, waits for leases, then refuses new ones', async () => {
    const { pool, closed } = makePool(1);
    const gate = deferred();
    const leased = pool.use(() => gate.promise);
    await tick(); // its session is open and leased
    const waiter = pool.use(async () => 'never');
    let done = false;
    const closing = pool.close().then(() => (done = true));
    await assert.rejects(waiter, /closed/);
    await tick();
    assert.equal(done, false, 'close waits for the lease');
    gate.resolve();
    await leased;
    await closing;
    assert.deepEqual(closed, [0]);
    await assert.rejects(pool.use(async () => 1), /closed/);
  });

  describe('opens that take time (C_OpenSession runs on the control thread)', () => {
    /** A pool whose opens finish only when the test says so. */
    function slowPool(size: number) {
      const opens: Array<() => void> = [];
      const closed: number[] = [];
      let next = 0;
      const pool = new SessionPool<number>({
        size,
        open: () => new Promise<number>((resolve) => opens.push(() => resolve(next++))),
        close: (n) => closed.push(n),
        discardOn: () => true,
        closedError: () => new Error('closed'),
      });
      return { pool, opens, closed };
    }

    it('counts a session being opened against the size: a second lease waits instead of opening', async () => {
      const { pool, opens } = slowPool(1);
      const first = pool.use(async (n) => n);
      const second = pool.use(async (n) => n);
      await tick();
      assert.equal(opens.length, 1);
      opens[0]();
      assert.deepEqual(await Promise.all([first, second]), [0, 0]);
    });

    it('a lease that gives up while its session opens takes nothing: the session goes to the next one', async () => {
      const { pool, opens } = slowPool(1);
      const signal = { aborted: false, onabort: null as (() => void) | null };
      const given = pool.use(async () => 'ran', signal);
      await tick();
      signal.aborted = true;
      opens[0]();
      await assert.rejects(given, LeaseAborted);
      assert.equal(await pool.use(async (n) => n), 0);
      assert.equal(opens.length, 1);
    });

    it('a session opened across a reset() is closed when its lease returns', async () => {
      const { pool, opens, closed } = slowPool(1);
      const lease = pool.use(async (n) => n);
      await tick();
      pool.reset();
      opens[0]();
      assert.equal(await lease, 0);
      assert.deepEqual(closed, [0]);
    });

    it('close() waits for an open in flight, then closes its session and refuses its lease', async () => {
      const { pool, opens, closed } = slowPool(1);
      const lease = pool.use(async () => 'ran');
      await tick();
      let done = false;
      const closing = pool.close().then(() => (done = true));
      await tick();
      assert.equal(done, false);
      opens[0]();
      await assert.rejects(lease, /closed/);
      await closing;
      assert.deepEqual(closed, [0]);
    });
  });
});
