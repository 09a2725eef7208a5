/**
 * PKCS#11 `CKM_ECDSA` returns `r‖s`, each half the curve's byte length (32, 48, 66 for P-521).
 * X.509 carries the DER form from RFC 3279 §2.2.3:
 *
 *   Ecdsa-Sig-Value  ::=  SEQUENCE  {
 *        r     INTEGER,
 *        s     INTEGER  }
 */
import { encodeSequence as sequence, encodeUnsignedInteger as unsignedInteger } from '../../der';

/** Converts a raw `r‖s` signature to DER Ecdsa-Sig-Value with minimal INTEGERs. */
export function ecdsaRawToDer(raw: Uint8Array): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new Error(`raw ECDSA signature has odd or zero length ${raw.length}`);
  }
  const half = raw.length / 2;
  const r = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  return sequence(unsignedInteger(r.subarray(0, half)), unsignedInteger(r.subarray(half)));
}
