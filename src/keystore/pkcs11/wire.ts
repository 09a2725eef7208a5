/**
 * How values and errors cross between the main thread and the control thread: structured clone
 * turns Buffers into Uint8Arrays and errors into plain objects, so both are put back here into
 * what the code on either side (graphene, `errors.ts`) expects.
 */
import { AppError } from '../../errors';
import { ckrCode } from './errors';

/** An error as it crosses: what `errors.ts` classifies by survives. */
export interface WireError {
  message: string;
  /** A pkcs11js error's CKR_ code. */
  code?: number;
  /** An AppError's kind, and the CKR_ code of its cause. */
  kind?: AppError['kind'];
  causeCode?: number;
}

export function toWire(err: unknown): WireError {
  if (err instanceof AppError) return { message: err.message, kind: err.kind, causeCode: ckrCode(err.cause) };
  return { message: err instanceof Error ? err.message : String(err), code: ckrCode(err) };
}

/** Back to pkcs11js' shape, or an AppError with a cause of that shape. */
export function fromWire(e: WireError): Error {
  const pkcs11 = (message: string, code: number): Error => Object.assign(new Error(message), { name: 'Pkcs11Error', code });
  if (e.kind) {
    const cause = e.causeCode === undefined ? undefined : pkcs11(e.message, e.causeCode);
    return new AppError(e.kind, e.message, undefined, { cause });
  }
  return e.code === undefined ? new Error(e.message) : pkcs11(e.message, e.code);
}

/** Uint8Arrays (handles, byte strings) become Buffers again, inside arrays and plain objects too. */
export function revive(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}
