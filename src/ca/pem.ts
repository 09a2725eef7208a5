/**
 * PEM (RFC 7468) in and out. Reading is lax about what RFC 7468 section 3 lets parsers be lax
 * about (CRLF, whitespace inside the base64, text before and after the block) and strict about
 * everything else: labels, one block where one is expected, the base64 alphabet and padding.
 */
import { badRequest } from '../errors';

export class PemError extends Error {
  override name = 'PemError';
}

export interface PemBlock {
  label: string;
  der: Buffer;
}

const CSR_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every PEM block in `text`, in order. Throws `PemError` for a malformed block. */
export function readPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const begin = /-----BEGIN ([^-\r\n]*)-----/g;
  for (let m = begin.exec(text); m; m = begin.exec(text)) {
    const label = m[1];
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, begin.lastIndex);
    if (end < 0) throw new PemError(`no "${endMarker}" line`);
    blocks.push({ label, der: decodeBase64(text.slice(begin.lastIndex, end)) });
    begin.lastIndex = end + endMarker.length;
  }
  return blocks;
}

/** Strict base64: RFC 4648 alphabet, whitespace ignored, canonical padding. */
function decodeBase64(body: string): Buffer {
  const b64 = body.replace(/[ \t\r\n\v\f]+/g, '');
  if (b64.length === 0) throw new PemError('empty PEM block');
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) throw new PemError('PEM body is not valid base64');
  if (!canonicalTail(b64)) throw new PemError('PEM body is not canonical base64');
  return Buffer.from(b64, 'base64');
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * RFC 4648 3.5, for a string already known to be whole quads of the alphabet with at most two
 * `=` at the end: canonical when the bits the padding leaves over are zero (the last character
 * before `=` must encode 2 or 4 trailing zero bits). The same verdict as re-encoding the decoded
 * bytes, without doing it for every CSR.
 */
function canonicalTail(b64: string): boolean {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  if (pad === 0) return true;
  const last = ALPHABET.indexOf(b64[b64.length - pad - 1]);
  return (last & (pad === 1 ? 0b11 : 0b1111)) === 0;
}

/**
 * Contract row 10, the PEM half: exactly one block labelled `CERTIFICATE REQUEST` or
 * `NEW CERTIFICATE REQUEST` (GnuTLS, NSS). Returns its DER; the DER itself is checked by `checkCsr`.
 */
export function parseCsrPem(text: string): Buffer {
  let blocks: PemBlock[];
  try {
    blocks = readPemBlocks(text);
  } catch (err) {
    if (err instanceof PemError) throw badRequest(`Invalid CSR: ${err.message}`);
    throw err;
  }
  if (blocks.length === 0) throw badRequest('Invalid CSR: no PEM block found');
  if (blocks.length > 1) throw badRequest(`Invalid CSR: expected one PEM block, found ${blocks.length}`);
  const [{ label, der }] = blocks;
  if (!CSR_LABELS.has(label)) {
    throw badRequest(`Invalid CSR: PEM label is "${label}", expected "CERTIFICATE REQUEST"`);
  }
  return der;
}

/** PEM as the contract returns it: 64-character lines, LF, no trailing newline. */
export const toPem = (der: Buffer, label: string): string => base64ToPem(der.toString('base64'), label);

/** `toPem` for DER already in base64 (the request path encodes a certificate once, for the record and the answer). */
export function base64ToPem(b64: string, label: string): string {
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`;
}

/** The DER of the single `label` block in `text` (default `CERTIFICATE`). Throws `PemError`. */
export function pemToDer(text: string, label = 'CERTIFICATE'): Buffer {
  const blocks = readPemBlocks(text);
  if (blocks.length !== 1) throw new PemError(`expected one PEM block, found ${blocks.length}`);
  if (blocks[0].label !== label) throw new PemError(`PEM label is "${blocks[0].label}", expected "${label}"`);
  return blocks[0].der;
}

/** The DER of every block of a certificate chain, in order; all must be `CERTIFICATE`. */
export function splitPemCertificates(text: string): Buffer[] {
  return readPemBlocks(text).map(({ label, der }) => {
    if (label !== 'CERTIFICATE') throw new PemError(`PEM label is "${label}", expected "CERTIFICATE"`);
    return der;
  });
}
