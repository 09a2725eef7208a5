import assert from 'node:assert/strict';
import { jsonText } from '../../../src/http/json-text';

describe('jsonText', () => {
  it('is JSON.stringify of an object of strings, remembered or not, keys in order', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\u2028"quoted"\\\n-----END CERTIFICATE-----\n';
    const value = { certificate: 'a\nb', certificateChain: pem, issuingCaCertificate: pem, serialNumber: '0a' };
    for (let i = 0; i < 3; i++) assert.equal(jsonText(value, ['certificateChain', 'issuingCaCertificate']).text, JSON.stringify(value));
  });

  it('stays right past the cache bound (it is cleared, never wrong)', () => {
    for (let i = 0; i < 600; i++) {
      const value = { chain: `pem ${i % 300}\n` };
      assert.equal(jsonText(value, ['chain']).text, JSON.stringify(value));
    }
  });
});
