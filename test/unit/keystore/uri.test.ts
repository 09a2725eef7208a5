import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../../src/keystore';

const isBadRequest = (err: unknown): boolean => err instanceof AppError && err.kind === 'BadRequest';

describe('keystore/pkcs11 RFC 7512 URIs', () => {
  it('formats token, object and id, percent-encoding every id byte', () => {
    assert.equal(
      formatPkcs11Uri({ token: 'ca', object: 'root-2026', id: Buffer.from([0x01, 0x02, 0xab]) }),
      'pkcs11:token=ca;object=root-2026;id=%01%02%AB',
    );
  });

  it('percent-encodes reserved, space and non-ASCII characters in labels', () => {
    const uri = formatPkcs11Uri({ token: 'my token;1', object: 'clé/é?x' });
    assert.equal(uri, 'pkcs11:token=my%20token%3B1;object=cl%C3%A9%2F%C3%A9%3Fx');
  });

  it('round-trips labels and ids of every byte value', () => {
    const id = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const ref = { token: 'a b;c=d&e%f', object: 'Ünïcødé ✓ :[]@!$\'()*+,', id };
    const parsed = parsePkcs11Uri(formatPkcs11Uri(ref));
    assert.equal(parsed.token, ref.token);
    assert.equal(parsed.object, ref.object);
    assert.deepEqual(parsed.id, id);
  });

  it('parses lower-case escapes, type, vendor and query attributes', () => {
    const parsed = parsePkcs11Uri('pkcs11:token=ca;object=k%2fey;type=private;x-vendor=1?pin-source=file:/p&module-name=softhsm2');
    assert.equal(parsed.object, 'k/ey');
    assert.equal(parsed.type, 'private');
    assert.deepEqual(parsed.path, { 'x-vendor': '1' });
    assert.deepEqual(parsed.query, { 'pin-source': 'file:/p', 'module-name': 'softhsm2' });
  });

  it('accepts an empty path', () => {
    assert.deepEqual(parsePkcs11Uri('pkcs11:'), { path: {}, query: {} });
  });

  for (const bad of [
    'pkcs12:token=ca',
    'pkcs11:token=ca;token=cb',
    'pkcs11:token=a b',
    'pkcs11:object=%zz',
    'pkcs11:object=%4',
    'pkcs11:noequals',
    'pkcs11:flavour=vanilla',
  ]) {
    it(`rejects ${bad} with BadRequest`, () => {
      assert.throws(() => parsePkcs11Uri(bad), isBadRequest);
    });
  }
});
