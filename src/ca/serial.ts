/**
 * Certificate serial numbers (RFC 5280 4.1.2.2: positive, at most 20 octets; CA/Browser Forum
 * BR 7.1: at least 64 bits from a CSPRNG). Ours are 20 octets with the first in 0x01..0x7f, so
 * the DER INTEGER is exactly 20 octets, positive, with no 0x00 pad — 159 random bits.
 */
import { randomFromPool } from '../random-pool';

export const SERIAL_LENGTH = 20;

/** A fresh serial; `randomBytes` is injectable so tests can fix it. */
export function randomSerial(randomBytes: (n: number) => Buffer = randomFromPool): Buffer {
  const serial = Buffer.from(randomBytes(SERIAL_LENGTH));
  if (serial.length !== SERIAL_LENGTH) throw new Error('random source returned the wrong length');
  serial[0] = serial[0] & 0x7f || 0x01;
  return serial;
}

/**
 * Lowercase hex of a serial's magnitude, no colons (the contract's `serialNumber`): 40
 * characters for ours. A DER sign pad (0x00 before a byte ≥ 0x80) is dropped, as OpenSSL prints it.
 */
export function serialHex(serial: Buffer): string {
  const padded = serial.length > 1 && serial[0] === 0 && serial[1] & 0x80;
  return (padded ? serial.subarray(1) : serial).toString('hex');
}
