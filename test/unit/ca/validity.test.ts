import { strict as assert } from 'node:assert';
import { AsnConvert } from '@peculiar/asn1-schema';
import { badRequestMessage } from '../../helpers/bad-request';
import { checkValidity, encodeTime, timeDer, truncateToSeconds } from '../../../src/ca/validity';

const d = (iso: string): Date => new Date(iso);
const parent = { parentNotBefore: d('2026-01-01T00:00:00Z'), parentNotAfter: d('2036-01-01T00:00:00Z') };
const now = d('2026-06-01T12:00:00.750Z');

const refusal = (input: Partial<Parameters<typeof checkValidity>[0]>): string =>
  badRequestMessage(() => checkValidity({ ...parent, now, notAfter: d('2027-01-01T00:00:00Z'), ...input }));

describe('checkValidity', () => {
  it('defaults notBefore to now and truncates both dates to whole seconds', () => {
    const v = checkValidity({ ...parent, now, notAfter: d('2027-01-01T00:00:00.999Z') });
    assert.equal(v.notBefore.toISOString(), '2026-06-01T12:00:00.000Z');
    assert.equal(v.notAfter.toISOString(), '2027-01-01T00:00:00.000Z');
  });

  it('accepts exactly the parent bounds', () => {
    const v = checkValidity({ ...parent, now, notBefore: parent.parentNotBefore, notAfter: d('2036-01-01T00:00:00.999Z') });
    assert.equal(v.notAfter.getTime(), parent.parentNotAfter.getTime());
  });

  it('row 17: notBefore before the parent', () => {
    assert.equal(refusal({ notBefore: d('2025-12-31T23:59:59Z') }), "notBefore date is before CA certificate's notBefore date");
  });

  it('row 18: notBefore at or after notAfter (including after truncation)', () => {
    assert.equal(refusal({ notBefore: d('2027-01-01T00:00:00Z') }), 'notBefore date is after notAfter date');
    assert.equal(refusal({ notBefore: d('2027-01-01T00:00:00.100Z'), notAfter: d('2027-01-01T00:00:00.900Z') }), 'notBefore date is after notAfter date');
    // A notAfter in the past with the default notBefore (now) is row 18 first, as the contract orders it.
    assert.equal(refusal({ notAfter: d('2026-03-01T00:00:00Z') }), 'notBefore date is after notAfter date');
  });

  it('row 19: notAfter after the parent', () => {
    assert.equal(refusal({ notAfter: d('2036-01-01T00:00:01Z') }), "notAfter date is after CA certificate's notAfter date");
  });

  it('row 20: notAfter in the past', () => {
    assert.equal(refusal({ notBefore: d('2026-02-01T00:00:00Z'), notAfter: d('2026-03-01T00:00:00Z') }), 'notAfter date is in the past');
    // Less than a second ahead of now: truncated, it is already past.
    assert.equal(refusal({ notBefore: d('2026-02-01T00:00:00Z'), notAfter: d('2026-06-01T12:00:00.900Z') }), 'notAfter date is in the past');
  });

  it('checks in the contract order (17 before 18 before 19 before 20)', () => {
    assert.match(refusal({ notBefore: d('2020-01-01T00:00:00Z'), notAfter: d('2019-01-01T00:00:00Z') }), /^notBefore date is before CA/);
    assert.match(refusal({ notBefore: d('2040-01-01T00:00:00Z'), notAfter: d('2039-01-01T00:00:00Z') }), /^notBefore date is after notAfter/);
  });
});

describe('time encoding (RFC 5280 4.1.2.5)', () => {
  const cases: [string, string][] = [
    ['2049-12-31T23:59:59.999Z', '170d3439313233313233353935395a'], // UTCTime 491231235959Z
    ['2050-01-01T00:00:00Z', '180f32303530303130313030303030305a'], // GeneralizedTime 20500101000000Z
    ['1950-01-01T00:00:00Z', '170d3530303130313030303030305a'],
    ['1949-12-31T23:59:59Z', '180f31393439313233313233353935395a'],
    ['9999-12-31T23:59:59Z', '180f39393939313233313233353935395a'],
  ];
  for (const [iso, der] of cases) {
    it(`${iso} → ${der.startsWith('17') ? 'UTCTime' : 'GeneralizedTime'}`, () => {
      assert.equal(timeDer(d(iso)).toString('hex'), der);
      assert.equal(Buffer.from(AsnConvert.serialize(encodeTime(d(iso)))).toString('hex'), der);
    });
  }

  it('truncates, never rounds', () => {
    assert.equal(truncateToSeconds(d('2030-01-01T00:00:00.999Z')).toISOString(), '2030-01-01T00:00:00.000Z');
  });
});
