import assert from 'node:assert/strict';
import { normalizeSubject } from '../../../src/auth/distinguished-name';
import { normalizeSan } from '../../../src/auth/client-cert';

describe('auth: client-certificate subject and SAN mappings', () => {
  it('reads our form, OpenSSL\'s default form, any spacing and hex escapes as one DN', () => {
    const canonical = 'C=NL, O=Corp\\, Inc, CN=alice';
    for (const text of [canonical, 'subject=C = NL, O = "Corp, Inc", CN = alice', 'c=NL,o=Corp\\2C Inc,cn=alice', '  C=NL ,O=Corp\\, Inc ,  CN=alice']) {
      assert.equal(normalizeSubject(text), canonical, text);
    }
  });

  it('keeps multi-valued RDNs, escaped trailing spaces and unknown attribute types', () => {
    assert.equal(normalizeSubject('CN=a+uid=b, O=x y '), 'CN=a+UID=b, O=x y');
    assert.equal(normalizeSubject('CN=x\\ '), 'CN=x\\ ');
    assert.equal(normalizeSubject('2.5.4.45=abc'), '2.5.4.45=abc');
  });

  it('refuses what is not a DN', () => {
    for (const text of ['alice', 'CN=', 'CN="open', '=x']) assert.throws(() => normalizeSubject(text), Error, text);
  });

  it('SANs: dns (case-folded), email and uri; nothing else', () => {
    assert.equal(normalizeSan('DNS:Host.Example'), 'dns:host.example');
    assert.equal(normalizeSan('email:Alice@Example.com'), 'email:Alice@Example.com');
    assert.equal(normalizeSan('uri:spiffe://corp/deployer'), 'uri:spiffe://corp/deployer');
    for (const text of ['ip:127.0.0.1', 'host.example', 'dns:']) assert.throws(() => normalizeSan(text), Error, text);
  });
});
