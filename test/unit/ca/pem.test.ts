import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { badRequestMessage } from '../../helpers/bad-request';
import { PemError, parseCsrPem, pemToDer, readPemBlocks, splitPemCertificates, toPem } from '../../../src/ca/pem';

const der = crypto.randomBytes(200);
const csrPem = toPem(der, 'CERTIFICATE REQUEST');


describe('pem', () => {
  it('writes 64-character lines, LF, no trailing newline', () => {
    const pem = toPem(der, 'CERTIFICATE');
    const lines = pem.split('\n');
    assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
    assert.equal(lines[lines.length - 1], '-----END CERTIFICATE-----');
    assert.ok(lines.slice(1, -2).every((l) => l.length === 64));
    assert.ok(lines[lines.length - 2].length <= 64 && lines[lines.length - 2].length > 0);
    assert.ok(!pem.includes('\r') && !pem.endsWith('\n'));
    assert.deepEqual(pemToDer(pem), der);
  });

  it('writes an exact multiple of 48 bytes without an empty line', () => {
    const pem = toPem(Buffer.alloc(96, 1), 'X');
    assert.deepEqual(pem.split('\n').map((l) => l.length), [17, 64, 64, 15]);
  });

  it('reads both CSR labels, CRLF, surrounding text, whitespace inside the body', () => {
    assert.deepEqual(parseCsrPem(csrPem), der);
    assert.deepEqual(parseCsrPem(toPem(der, 'NEW CERTIFICATE REQUEST')), der);
    assert.deepEqual(parseCsrPem(`Subject: CN=x\r\n${csrPem.replace(/\n/g, '\r\n')}\r\n\r\ntrailer`), der);
    assert.deepEqual(parseCsrPem(csrPem.replace(/\n(?!-)/g, '\n  ')), der);
  });

  it('refuses other labels, several blocks, bad base64, empty and unterminated blocks', () => {
    assert.equal(badRequestMessage(() => parseCsrPem(toPem(der, 'CERTIFICATE'))), 'Invalid CSR: PEM label is "CERTIFICATE", expected "CERTIFICATE REQUEST"');
    assert.equal(badRequestMessage(() => parseCsrPem(`${csrPem}\n${toPem(der, 'CERTIFICATE')}`)), 'Invalid CSR: expected one PEM block, found 2');
    assert.equal(badRequestMessage(() => parseCsrPem(csrPem.replace(/\n./, '\n*'))), 'Invalid CSR: PEM body is not valid base64');
    assert.equal(badRequestMessage(() => parseCsrPem('-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----')), 'Invalid CSR: empty PEM block');
    assert.equal(badRequestMessage(() => parseCsrPem(csrPem.replace('-----END CERTIFICATE REQUEST-----', ''))), 'Invalid CSR: no "-----END CERTIFICATE REQUEST-----" line');
    assert.equal(badRequestMessage(() => parseCsrPem('-----BEGIN CERTIFICATE REQUEST-----\nQQ==\n-----END CERTIFICATE REQUEST-----'.replace('QQ==', 'QR=='))),
      'Invalid CSR: PEM body is not canonical base64');
    // A BEGIN inside a block (first block unterminated) is garbage, not two blocks.
    assert.equal(badRequestMessage(() => parseCsrPem(csrPem.replace(/-----END[^\n]*/, '') + '\n' + csrPem)), 'Invalid CSR: PEM body is not valid base64');
  });

  it('splits certificate chains in order and refuses other labels in them', () => {
    const a = crypto.randomBytes(50);
    const b = crypto.randomBytes(70);
    assert.deepEqual(splitPemCertificates(`${toPem(a, 'CERTIFICATE')}\n${toPem(b, 'CERTIFICATE')}\n`), [a, b]);
    assert.deepEqual(splitPemCertificates(''), []);
    assert.throws(() => splitPemCertificates(csrPem), PemError);
    assert.throws(() => pemToDer(`${toPem(a, 'CERTIFICATE')}${toPem(b, 'CERTIFICATE')}`), PemError);
    assert.equal(readPemBlocks(`${csrPem}${toPem(a, 'X')}`).length, 2);
  });
});

describe('pem: canonical base64', () => {
  it('refuses exactly what re-encoding the decoded bytes would (every last character, both paddings)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    for (const body of ['QQ', 'QUI', 'QUJD']) {
      for (const c of alphabet) {
        const b64 = (body.slice(0, -1) + c).padEnd(4, '=');
        const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----`;
        const canonical = Buffer.from(b64, 'base64').toString('base64') === b64;
        if (canonical) assert.deepEqual(parseCsrPem(pem), Buffer.from(b64, 'base64'));
        else assert.equal(badRequestMessage(() => parseCsrPem(pem)), 'Invalid CSR: PEM body is not canonical base64');
      }
    }
  });
});
