import { randomFromPool } from '../random-pool';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `req-` + 14 characters of [0-9A-Za-z], drawn without modulo bias (248 = 4 × 62). */
export function newRequestId(): string {
  let out = 'req-';
  while (out.length < 18) {
    for (const b of randomFromPool(16)) {
      if (b < 248 && out.length < 18) out += ALPHABET[b % 62];
    }
  }
  return out;
}
