import { strict as assert } from 'node:assert';
import { TAG, encodeOid, encodeSequence, encodeTlv, parseDer } from '../../../src/der';
import { buildName, readName } from '../../../src/ca/name';
import { badRequestMessage } from '../../helpers/bad-request';

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const rdn = (oid: string, tag: string, value: string): string => {
  const v = `${tag}${(value.length / 2).toString(16).padStart(2, '0')}${value}`;
  const atv = `0603${oid}${v}`;
  const seq = `30${(atv.length / 2).toString(16).padStart(2, '0')}${atv}`;
  return `31${(seq.length / 2).toString(16).padStart(2, '0')}${seq}`;
};

describe('names', () => {
  it('buildName: RDNs C, ST, L, O, OU, CN; country PrintableString, the rest UTF8String', () => {
    const { subjectDer, dn } = buildName({ commonName: 'Root CA', organization: 'Acme', ou: 'PKI', country: 'NL', province: 'Noord-Holland', locality: 'Amsterdam' });
    const body = [
      rdn('550406', '13', hex('NL')), rdn('550408', '0c', hex('Noord-Holland')), rdn('550407', '0c', hex('Amsterdam')),
      rdn('55040a', '0c', hex('Acme')), rdn('55040b', '0c', hex('PKI')), rdn('550403', '0c', hex('Root CA')),
    ].join('');
    assert.equal(subjectDer.toString('hex'), `30${(body.length / 2).toString(16)}${body}`);
    assert.equal(dn, 'C=NL, ST=Noord-Holland, L=Amsterdam, O=Acme, OU=PKI, CN=Root CA');
  });

  it('buildName: optional fields left out; no commonName is allowed; nothing at all is not', () => {
    assert.equal(buildName({ organization: 'Acme' }).dn, 'O=Acme');
    assert.equal(buildName({ commonName: 'x', ou: '' }).dn, 'CN=x');
    assert.match(badRequestMessage(() => buildName({})), /at least one of/);
  });

  it('buildName: RFC 5280 bounds', () => {
    assert.equal(badRequestMessage(() => buildName({ commonName: 'x'.repeat(65) })), 'commonName exceeds 64 characters (RFC 5280 upper bound)');
    assert.equal(buildName({ commonName: 'ü'.repeat(64) }).dn, `CN=${'ü'.repeat(64)}`);
    assert.equal(badRequestMessage(() => buildName({ commonName: 'x', country: 'nld' })), 'country must be a two-letter ISO 3166 code, e.g. "US"');
    assert.match(badRequestMessage(() => buildName({ commonName: 'x', locality: 'l'.repeat(129) })), /^localityName exceeds 128/);
  });

  it('readName: text escapes RFC 4514 specials and shows non-strings as #hex', () => {
    const name = encodeSequence(
      encodeTlv(TAG.SET, encodeSequence(encodeOid('2.5.4.10'), encodeTlv(TAG.UTF8_STRING, Buffer.from('Acme, Inc. +1')))),
      encodeTlv(TAG.SET, encodeSequence(encodeOid('1.2.3.4'), encodeTlv(TAG.INTEGER, Buffer.from([5])))),
      encodeTlv(TAG.SET, encodeSequence(encodeOid('2.5.4.3'), encodeTlv(TAG.PRINTABLE_STRING, Buffer.from(' #lead')))),
    );
    const summary = readName(parseDer(name));
    assert.equal(summary.text, 'O=Acme\\, Inc. \\+1, 1.2.3.4=#020105, CN=\\ #lead');
    assert.deepEqual(summary.commonNames, [' #lead']);
    assert.equal(summary.rdnCount, 3);
  });

  it('readName: a commonName that is not a string, or not UTF-8, is malformed', () => {
    const cn = (node: Buffer) => encodeSequence(encodeTlv(TAG.SET, encodeSequence(encodeOid('2.5.4.3'), node)));
    assert.throws(() => readName(parseDer(cn(encodeTlv(TAG.INTEGER, Buffer.from([1]))))), /commonName is not a directory string/);
    assert.throws(() => readName(parseDer(cn(encodeTlv(TAG.UTF8_STRING, Buffer.from([0xff]))))), /commonName is not valid UTF-8/);
    assert.deepEqual(readName(parseDer(cn(encodeTlv(TAG.UNIVERSAL_STRING, Buffer.from('0001f600', 'hex'))))).commonNames, ['😀']);
  });
});
