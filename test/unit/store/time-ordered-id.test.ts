import assert from 'node:assert/strict';
import { timeOrderedUuid } from '../../../src/time-ordered-id';

describe('timeOrderedUuid (RFC 9562 UUIDv7)', () => {
  it('is a version 7, variant 10 UUID carrying the millisecond time', () => {
    const t = Date.UTC(2026, 10, 29, 12, 0, 0, 123);
    const id = timeOrderedUuid(t);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), t);
  });

  it('sorts by time and never repeats', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => timeOrderedUuid(1_800_000_000_000 + Math.floor(i / 100)));
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 100; i < ids.length; i += 100) assert.ok(ids[i - 1] < ids[i], 'a later millisecond sorts after');
  });
});
