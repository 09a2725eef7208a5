import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { ecdsaRawToDer } from '../../../src/keystore';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('keystore/pkcs11 ecdsaRawToDer', () => {
  it('encodes small halves as minimal INTEGERs', () => {
    const raw = Buffer.concat([Buffer.alloc(31), Buffer.from([0x01]), Buffer.alloc(31), Buffer.from([0x7f])]);
    assert.deepEqual(ecdsaRawToDer(raw), hex('3006 020101 02017f'));
  });

  it('pads a half whose high bit is set with 0x00', () => {
    const raw = Buffer.concat([Buffer.alloc(32, 0x80), Buffer.alloc(32, 0x01)]);
    assert.deepEqual(
      ecdsaRawToDer(raw),
      Buffer.concat([hex('3045 0221 00'), Buffer.alloc(32, 0x80), hex('0220'), Buffer.alloc(32, 0x01)]),
    );
  });

  it('encodes a zero half as a single 0x00 byte', () => {
    assert.deepEqual(ecdsaRawToDer(Buffer.alloc(64)), hex('3006 020100 020100'));
  });

  describe('P-521 (66-byte halves)', () => {
    it('strips the leading zero byte P-521 halves usually have, with a long-form length', () => {
      // r = 0x01ff…ff (66 bytes, top 7 bits zero), s = 0x00 00 7f…: lengths 66 and 64.
      const r = Buffer.concat([Buffer.from([0x01]), Buffer.alloc(65, 0xff)]);
      const s = Buffer.concat([Buffer.from([0x00, 0x00]), Buffer.alloc(64, 0x7f)]);
      const der = ecdsaRawToDer(Buffer.concat([r, s]));
      const expected = Buffer.concat([hex('3081 86 0242'), r, hex('0240'), s.subarray(2)]);
      assert.deepEqual(der, expected);
      assert.equal(der.length, 3 + 0x86);
    });

    it('pads 66-byte halves with the high bit set (67-byte INTEGERs)', () => {
      const r = Buffer.alloc(66, 0xff);
      const s = Buffer.alloc(66, 0x80);
      assert.deepEqual(
        ecdsaRawToDer(Buffer.concat([r, s])),
        Buffer.concat([hex('3081 8a 0243 00'), r, hex('0243 00'), s]),
      );
      const small = Buffer.concat([Buffer.alloc(65), Buffer.from([0x05])]);
      assert.deepEqual(ecdsaRawToDer(Buffer.concat([r, small])), Buffer.concat([hex('3048 0243 00'), r, hex('020105')]));
    });

    it('round-trips real P-521 signatures through node:crypto', () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
      for (let i = 0; i < 50; i++) {
        const data = Buffer.from(`message ${i}`);
        const raw = sign('sha512', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        assert.equal(raw.length, 132);
        // node:crypto (OpenSSL) rejects non-minimal DER, so this also checks minimality.
        assert.ok(verify('sha512', data, { key: publicKey, dsaEncoding: 'der' }, ecdsaRawToDer(raw)));
      }
    });
  });

  it('rejects odd-length input', () => {
    assert.throws(() => ecdsaRawToDer(Buffer.alloc(63)));
    assert.throws(() => ecdsaRawToDer(Buffer.alloc(0)));
  });
});
