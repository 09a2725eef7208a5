/**
 * The few DER encodings the key store builds itself (SPKI, ECDSA-Sig-Value) and the one it
 * reads (an OCTET STRING-wrapped EC point). Definite lengths only, as DER requires.
 */

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));

/** BIT STRING with no unused bits, as keys are whole bytes. */
export const bitString = (bytes: Uint8Array): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));

export const NULL = Buffer.from([0x05, 0x00]);

/**
 * INTEGER from unsigned big-endian bytes. DER wants the minimal two's-complement form: strip
 * leading zero bytes, then add one 0x00 back when the high bit would read as a sign.
 */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const content = trimmed.length === 0 || (trimmed[0]! & 0x80) !== 0
    ? Buffer.concat([Buffer.from([0]), trimmed])
    : trimmed;
  return tlv(0x02, content);
}

/**
 * Reads one TLV with tag `tag` filling all of `der` and returns its content, or undefined
 * when `der` is not exactly that.
 */
export function readTlv(der: Uint8Array, tag: number): Buffer | undefined {
  if (der.length < 2 || der[0] !== tag) return undefined;
  let length = der[1]!;
  let offset = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || der.length < 2 + count) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
    offset += count;
  }
  if (offset + length !== der.length) return undefined;
  return Buffer.from(der.subarray(offset));
}
