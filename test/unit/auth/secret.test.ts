import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { newTokenSecret, sameDigest, SecretHasher } from '../../../src/auth/secret';

describe('auth: token secrets at rest', () => {
  const pepper = 'p'.repeat(32);

  it('stores HMAC-SHA256 under the pepper (known answer), never a bare hash', () => {
    const h = new SecretHasher(pepper);
    assert.equal(h.hash('hsmca_x'), crypto.createHmac('sha256', pepper).update('hsmca_x').digest('hex'));
    assert.notEqual(h.hash('hsmca_x'), SecretHasher.legacyHash('hsmca_x'));
    assert.notEqual(new SecretHasher('q'.repeat(32)).hash('hsmca_x'), h.hash('hsmca_x'));
  });

  it('refuses a pepper shorter than 32 bytes', () => {
    assert.throws(() => new SecretHasher('short'), /at least 32 bytes/);
  });

  it('secrets are 256 random bits behind the hsmca_ prefix', () => {
    const a = newTokenSecret();
    assert.match(a, /^hsmca_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, newTokenSecret());
  });

  it('compares digests in constant time, and never equal across lengths or when empty', () => {
    assert.equal(sameDigest('abcd', 'abcd'), true);
    assert.equal(sameDigest('abcd', 'abce'), false);
    assert.equal(sameDigest('abcd', 'abcdef'), false);
    assert.equal(sameDigest('', ''), false);
  });
});
