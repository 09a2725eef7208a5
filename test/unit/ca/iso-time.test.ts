import assert from 'node:assert/strict';
import { isoString } from '../../../src/iso-time';

describe('isoString', () => {
  it('equals toISOString for every field width, the edges of 0–9999 and random instants', () => {
    const edges = [0, 1, 999, 1000, -62167219200000 /* 0000-01-01 */, 253402300799999 /* 9999-12-31T23:59:59.999 */,
      Date.UTC(2049, 11, 31, 23, 59, 59, 9), Date.UTC(2050, 0, 1), Date.UTC(1950, 0, 1, 1, 1, 1, 10), Date.UTC(800, 5, 6, 7, 8, 9, 99)];
    const random = Array.from({ length: 20_000 }, () => Math.floor((Math.random() * 2 - 1) * 9e13 + 3e13));
    for (const ms of [...edges, ...random]) {
      const d = new Date(ms);
      assert.equal(isoString(d), d.toISOString(), String(ms));
    }
  });

  it('outside 0–9999 and for an invalid date it is toISOString itself (extended years, RangeError)', () => {
    for (const ms of [-62167219200001, 253402300800000, 8.64e15]) assert.equal(isoString(new Date(ms)), new Date(ms).toISOString());
    assert.throws(() => isoString(new Date(NaN)), RangeError);
  });
});
