import { strict as assert } from 'node:assert';
import { randomSerial, serialHex } from '../../../src/ca/serial';
import { encodeUnsignedInteger } from '../../../src/der';

describe('serial', () => {
  it('is 20 octets, first in 0x01..0x7f, so the DER INTEGER is exactly 20 octets', () => {
    for (let i = 0; i < 2000; i++) {
      const s = randomSerial();
      assert.equal(s.length, 20);
      assert.ok(s[0] >= 0x01 && s[0] <= 0x7f, `first byte ${s[0]}`);
      assert.equal(encodeUnsignedInteger(s).subarray(0, 2).toString('hex'), '0214');
    }
  });

  it('forces the first byte from a fixed source', () => {
    assert.equal(randomSerial((n) => Buffer.alloc(n, 0xff))[0], 0x7f);
    assert.equal(randomSerial((n) => Buffer.alloc(n, 0x80))[0], 0x01);
    assert.equal(randomSerial((n) => Buffer.alloc(n, 0x00))[0], 0x01);
    assert.throws(() => randomSerial(() => Buffer.alloc(19)));
  });

  it('prints lowercase hex, 40 characters, no colons; drops a DER sign pad', () => {
    const s = randomSerial((n) => Buffer.from([...Array(n).keys()].map((i) => 0xa0 + i)));
    assert.equal(serialHex(s), '20a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3');
    assert.equal(serialHex(Buffer.from([0x00, 0x8f, 0x01])), '8f01');
    assert.equal(serialHex(Buffer.from([0x00, 0x0f])), '000f');
  });
});
