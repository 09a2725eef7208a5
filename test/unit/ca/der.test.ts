import { strict as assert } from 'node:assert';
import {
  DerError, TAG, childrenOf, decodeOid, decodeSmallInteger, encodeLength, encodeOid, encodeTlv,
  encodeUnsignedInteger, parseDer, readDer,
} from '../../../src/der';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const throwsDer = (fn: () => unknown, message: string | RegExp): void => {
  assert.throws(fn, (err: unknown) => err instanceof DerError && (typeof message === 'string' ? err.message === message : message.test(err.message)));
};

describe('der', () => {
  it('reads short and long form lengths and slices exact bytes', () => {
    const long = Buffer.concat([hex('04 81 80'), Buffer.alloc(128, 7)]);
    const node = readDer(long);
    assert.equal(node.tag, TAG.OCTET_STRING);
    assert.equal(node.value.length, 128);
    assert.equal(node.raw.length, 131);
    const seq = parseDer(hex('30 05 02 01 05 05 00'), TAG.SEQUENCE);
    assert.deepEqual(childrenOf(seq).map((c) => c.raw.toString('hex')), ['020105', '0500']);
  });

  it('refuses what is not DER', () => {
    throwsDer(() => readDer(hex('30 80 00 00')), 'indefinite length is not DER');
    throwsDer(() => readDer(hex('04 81 05 0102030405')), 'non-minimal length is not DER');
    throwsDer(() => readDer(hex('04 82 00 81') ), /truncated|non-minimal/);
    throwsDer(() => readDer(hex('04 05 0102')), 'length runs past the end of the data');
    throwsDer(() => readDer(hex('04')), 'truncated element');
    throwsDer(() => readDer(hex('1f 81 01 00')), 'multi-byte tags are not supported');
    throwsDer(() => parseDer(hex('05 00 00')), 'trailing bytes after the element');
    throwsDer(() => parseDer(hex('02 01 00'), TAG.SEQUENCE, 'x'), 'x: expected tag 0x30, found 0x02');
    throwsDer(() => childrenOf(parseDer(hex('30 03 02 05 00'))), 'length runs past the end of the data');
  });

  it('encodes lengths minimally', () => {
    assert.equal(encodeLength(0x7f).toString('hex'), '7f');
    assert.equal(encodeLength(0x80).toString('hex'), '8180');
    assert.equal(encodeLength(0x1234).toString('hex'), '821234');
    assert.equal(encodeTlv(TAG.NULL).toString('hex'), '0500');
  });

  it('round-trips OIDs (X.690 8.19)', () => {
    const known: [string, string][] = [
      ['1.2.840.113549.1.1.11', '06092a864886f70d01010b'],
      ['2.5.29.19', '0603551d13'],
      ['1.3.101.112', '06032b6570'],
      ['2.16.840.1.101.3.4.2.1', '0609608648016503040201'],
      ['2.999.3', '0603883703'],
    ];
    for (const [oid, der] of known) {
      assert.equal(encodeOid(oid).toString('hex'), der);
      assert.equal(decodeOid(parseDer(hex(der))), oid);
    }
    throwsDer(() => decodeOid(parseDer(hex('06 02 80 01'))), 'non-minimal OBJECT IDENTIFIER arc');
    throwsDer(() => decodeOid(parseDer(hex('06 01 81'))), 'malformed OBJECT IDENTIFIER');
  });

  it('encodes and decodes INTEGERs minimally', () => {
    assert.equal(encodeUnsignedInteger(hex('00 00 7f')).toString('hex'), '02017f');
    assert.equal(encodeUnsignedInteger(hex('80')).toString('hex'), '02020080');
    assert.equal(encodeUnsignedInteger(hex('00')).toString('hex'), '020100');
    assert.equal(encodeUnsignedInteger(Buffer.alloc(0)).toString('hex'), '020100');
    assert.equal(decodeSmallInteger(parseDer(hex('02 02 00 80')), 'n'), 128);
    throwsDer(() => decodeSmallInteger(parseDer(hex('02 02 00 01')), 'n'), 'n: non-minimal INTEGER');
    throwsDer(() => decodeSmallInteger(parseDer(hex('02 01 ff')), 'n'), 'n: negative INTEGER');
  });
});
