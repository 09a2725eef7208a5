/**
 * Names for PKCS#11 numbers, for logs, metrics and `hsm check`: `CKR_…` return values and
 * `CKM_…` mechanisms. The tables come from pkcs11js (every code pkcs11t.h defines), so a code
 * this project never mapped still gets its standard name rather than a bare number.
 */
import * as pkcs11js from 'pkcs11js';

function reverse(prefix: string): ReadonlyMap<number, string> {
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(pkcs11js)) {
    // Last name wins: pkcs11t.h lists a deprecated alias before its current name
    // (CKM_ECDSA_KEY_PAIR_GEN, then CKM_EC_KEY_PAIR_GEN).
    if (name.startsWith(prefix) && typeof value === 'number') names.set(value, name);
  }
  return names;
}

const CKR_NAMES = reverse('CKR_');
const CKM_NAMES = reverse('CKM_');
/** PKCS#11 3.0 mechanisms that pkcs11js 2.1 does not list. */
const CKM_EXTRA: ReadonlyMap<number, string> = new Map([[0x1055, 'CKM_EC_EDWARDS_KEY_PAIR_GEN'], [0x1057, 'CKM_EDDSA']]);

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** `CKR_PIN_INCORRECT` for 0xa0; vendor codes as `CKR_VENDOR_0x80000001`-style hex. */
export const ckrName = (code: number): string => CKR_NAMES.get(code) ?? `CKR_${hex(code)}`;

/** `CKM_ECDSA` for 0x1041; unknown (vendor) mechanisms as hex. */
export const ckmName = (type: number): string => CKM_EXTRA.get(type) ?? CKM_NAMES.get(type) ?? `CKM_${hex(type)}`;
