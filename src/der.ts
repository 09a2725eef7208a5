/**
 * A minimal DER (ITU-T X.690) reader and writer. The request path slices exact bytes out of
 * CSRs and certificates (the CertificationRequestInfo that was signed, the subject Name and the
 * SubjectPublicKeyInfo copied byte for byte) and writes the few TLVs of a certificate by hand:
 * a generic ASN.1 object model costs ~200 µs per CSR where this costs a few.
 *
 * Reading is strict DER: single-byte tags only, definite and minimal lengths, every child ends
 * exactly where its parent ends. Anything else throws `DerError`.
 */

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag number `n`, constructed (`[n] EXPLICIT` or a constructed IMPLICIT). */
export const contextTag = (n: number, constructed = true): number => 0x80 | (constructed ? 0x20 : 0) | n;

export class DerError extends Error {
  override name = 'DerError';
}

/** One TLV: `raw` is the whole element, `value` its contents (both views on the input). */
export interface Der {
  readonly tag: number;
  readonly raw: Buffer;
  readonly value: Buffer;
}

const MAX_LENGTH_OCTETS = 4;

/** Reads the TLV that starts at `offset`; it must end within `buf`. */
export function readDer(buf: Buffer, offset = 0): Der {
  const limit = buf.length;
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let length = buf[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0) throw new DerError('indefinite length is not DER');
    if (octets > MAX_LENGTH_OCTETS) throw new DerError('length too large');
    if (offset + 2 + octets > limit) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + buf[offset + 2 + i];
    if (length < 0x80 || buf[offset + 2] === 0) throw new DerError('non-minimal length is not DER');
    header += octets;
  }
  const end = offset + header + length;
  if (end > limit) throw new DerError('length runs past the end of the data');
  return { tag, raw: buf.subarray(offset, end), value: buf.subarray(offset + header, end) };
}

/** Parses `buf` as exactly one TLV (optionally of `tag`); trailing bytes are an error. */
export function parseDer(buf: Buffer, tag?: number, what = 'element'): Der {
  const node = readDer(buf, 0);
  if (node.raw.length !== buf.length) throw new DerError(`trailing bytes after the ${what}`);
  if (tag !== undefined) expectTag(node, tag, what);
  return node;
}

/** The elements of a constructed TLV, which must fill it exactly. */
export function childrenOf(node: Der): Der[] {
  if (!(node.tag & 0x20)) throw new DerError('primitive element has no children');
  const out: Der[] = [];
  const { value } = node;
  for (let offset = 0; offset < value.length; ) {
    const child = readDer(value, offset);
    out.push(child);
    offset += child.raw.length;
  }
  return out;
}

export function expectTag(node: Der, tag: number, what: string): void {
  if (node.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(node.tag)}`);
  }
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** OBJECT IDENTIFIER contents → dotted string (X.690 8.19). */
export function decodeOid(node: Der): string {
  expectTag(node, TAG.OID, 'OBJECT IDENTIFIER');
  const v = node.value;
  if (v.length === 0 || v[v.length - 1] & 0x80) throw new DerError('malformed OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let arc = 0;
  for (let i = 0; i < v.length; i++) {
    if (arc === 0 && v[i] === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc');
    arc = arc * 128 + (v[i] & 0x7f);
    if (arc > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OBJECT IDENTIFIER arc too large');
    if (!(v[i] & 0x80)) {
      arcs.push(arc);
      arc = 0;
    }
  }
  const first = Math.min(Math.floor(arcs[0] / 40), 2);
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

/** A small non-negative INTEGER (version, pathLen, saltLength), minimal encoding enforced. */
export function decodeSmallInteger(node: Der, what: string): number {
  expectTag(node, TAG.INTEGER, what);
  const v = node.value;
  if (v.length === 0 || v.length > 6) throw new DerError(`${what}: unsupported INTEGER size`);
  if (v[0] & 0x80) throw new DerError(`${what}: negative INTEGER`);
  if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) throw new DerError(`${what}: non-minimal INTEGER`);
  return v.readUIntBE(0, v.length);
}

/** BIT STRING contents without the unused-bits octet, which must be zero (signatures, keys). */
export function bitStringBytes(node: Der, what: string): Buffer {
  expectTag(node, TAG.BIT_STRING, what);
  if (node.value.length === 0 || node.value[0] !== 0) {
    throw new DerError(`${what}: BIT STRING must have no unused bits`);
  }
  return node.value.subarray(1);
}

// ---- writing ----

/** Octets of a length's encoding (X.690 8.1.3): the short form below 128, else 0x80|n and n octets. */
function lengthOctets(length: number): number {
  let n = 1;
  if (length >= 0x80) for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Writes `length`'s encoding of `octets` bytes at `offset`. */
function writeLength(out: Buffer, offset: number, length: number, octets: number): void {
  if (octets === 1) {
    out[offset] = length;
    return;
  }
  out[offset] = 0x80 | (octets - 1);
  for (let i = octets - 1, v = length; i > 0; i--, v = Math.floor(v / 256)) out[offset + i] = v & 0xff;
}

export function encodeLength(length: number): Buffer {
  const octets = lengthOctets(length);
  const out = Buffer.alloc(octets);
  writeLength(out, 0, length, octets);
  return out;
}

/**
 * One TLV whose contents are the concatenation of `parts`, written into one allocation: a
 * certificate is ~40 TLVs and this is on every request's path (three small buffers and two
 * copies per TLV cost ~20 µs per certificate).
 */
export function encodeTlv(tag: number, ...parts: Buffer[]): Buffer {
  let length = 0;
  for (const part of parts) length += part.length;
  const octets = lengthOctets(length);
  // Every byte is written below, so the unzeroed (pooled) allocation never leaks old memory.
  const out = Buffer.allocUnsafe(1 + octets + length);
  out[0] = tag;
  writeLength(out, 1, length, octets);
  let at = 1 + octets;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export const encodeSequence = (...parts: Buffer[]): Buffer => encodeTlv(TAG.SEQUENCE, ...parts);

/** A non-negative INTEGER from big-endian magnitude bytes: minimal, 0x00 pad when the top bit is set. */
export function encodeUnsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const body = magnitude.subarray(start);
  const content = body.length === 0 ? Buffer.from([0]) : body;
  return encodeTlv(TAG.INTEGER, content[0] & 0x80 ? Buffer.concat([Buffer.from([0]), content]) : content);
}

/** Dotted string → OBJECT IDENTIFIER TLV. */
export function encodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  const bytes: number[] = [];
  [arcs[0] * 40 + arcs[1], ...arcs.slice(2)].forEach((arc) => {
    const chunk = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n & 0x7f));
    bytes.push(...chunk);
  });
  return encodeTlv(TAG.OID, Buffer.from(bytes));
}

/** BIT STRING with no unused bits (signatures, key bits). */
export const encodeBitString = (bytes: Buffer): Buffer => encodeTlv(TAG.BIT_STRING, Buffer.from([0]), bytes);
