/**
 * Mutations of a valid DER CSR, at the DER level: where CA parsers have historically broken.
 * Each takes the original DER and a random source and returns new bytes (maybe invalid).
 */
import fc from 'fast-check';
import { childrenOf, readDer, type Der } from '../../src/der';

/** Offsets of every TLV header in a (valid) DER tree, with the offset of its length octets. */
export interface Node {
  start: number;
  lengthAt: number;
  tag: number;
  end: number;
  constructed: boolean;
}

export function walk(der: Buffer): Node[] {
  const out: Node[] = [];
  const visit = (node: Der, start: number): void => {
    const lengthAt = start + 1;
    const headerLength = node.raw.length - node.value.length;
    const constructed = (node.tag & 0x20) !== 0;
    out.push({ start, lengthAt, tag: node.tag, end: start + node.raw.length, constructed });
    if (!constructed) return;
    let offset = start + headerLength;
    for (const child of childrenOf(node)) {
      visit(child, offset);
      offset += child.raw.length;
    }
  };
  visit(readDer(der), 0);
  return out;
}

const OIDS = [
  '06092a864886f70d010105', // sha1WithRSAEncryption
  '06092a864886f70d010104', // md5WithRSAEncryption
  '06072a8648ce3d0401', // ecdsa-with-SHA1
  '06072a8648ce380401', // dsa
  '06032b6571', // Ed448
  '06092a864886f70d01010a', // RSASSA-PSS
  '06082a8648ce3d030107', // prime256v1
  '06052b8104000a', // secp256k1
  '0603550403', // commonName
  '0600', // empty OID
  '06018f', // truncated arc
  `068180${'81'.repeat(127)}01`, // 128-byte OID
].map((h) => Buffer.from(h, 'hex'));

const STRING_TAGS = [0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e, 0x04, 0x03, 0x30];

function replace(der: Buffer, node: Node, bytes: Buffer): Buffer {
  return Buffer.concat([der.subarray(0, node.start), bytes, der.subarray(node.end)]);
}

/** An arbitrary mutation of `der`; `nodes` is `walk(der)`. */
export function derMutation(der: Buffer, nodes: Node[]): fc.Arbitrary<Buffer> {
  const node = fc.integer({ min: 0, max: nodes.length - 1 }).map((i) => nodes[i]);
  const pos = fc.integer({ min: 0, max: der.length - 1 });
  return fc.oneof(
    fc.array(fc.tuple(pos, fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const b = Buffer.from(der);
      for (const [p, bit] of flips) b[p] ^= 1 << bit;
      return b;
    }),
    pos.map((p) => der.subarray(0, p)),
    fc.tuple(node, fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x89, 0xff)).map(([n, v]) => {
      const b = Buffer.from(der);
      b[n.lengthAt] = v;
      return b;
    }),
    fc.tuple(node, fc.constantFrom(...OIDS)).map(([n, oid]) => replace(der, n, oid)),
    fc.tuple(node, fc.integer({ min: 100, max: 5000 })).map(([n, size]) =>
      replace(der, n, Buffer.concat([Buffer.from([0x02, 0x82, size >> 8, size & 0xff]), Buffer.alloc(size, 0x7f)]))),
    fc.tuple(fc.constantFrom(...nodes.filter((n) => !n.constructed)), fc.constantFrom(...STRING_TAGS)).map(([n, tag]) => {
      const b = Buffer.from(der);
      b[n.start] = tag;
      return b;
    }),
    fc.integer({ min: 2, max: 3000 }).map((depth) => {
      let b = der;
      for (let i = 0; i < depth; i++) {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(b.length);
        b = Buffer.concat([Buffer.from([0x30, 0x84]), len, b]);
      }
      return b;
    }),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => Buffer.concat([der, Buffer.from(tail)])),
    node.map((n) => Buffer.concat([der.subarray(0, n.end), der.subarray(n.start, n.end), der.subarray(n.end)])),
    node.map((n) => replace(der, n, Buffer.alloc(0))),
  );
}
