/**
 * RFC 7512 PKCS#11 URIs, the subset a key store needs:
 *
 *   pk11-URI     = "pkcs11:" pk11-path [ "?" pk11-query ]
 *   pk11-path    = [ pk11-pattr *(";" pk11-pattr) ]
 *   pk11-query   = [ pk11-qattr *("&" pk11-qattr) ]
 *   pk11-pchar   = unreserved / pk11-path-res-avail / pct-encoded
 *   pk11-path-res-avail = ":" / "[" / "]" / "@" / "!" / "$" / "'" / "(" / ")" / "*" / "+" / ","
 *                       / "=" / "&"
 *
 * Values are percent-decoded to bytes; `id` stays bytes, the other attributes are UTF-8 text.
 */
import { badRequest } from '../../errors';

export interface Pkcs11Uri {
  /** CKA_LABEL of the token. */
  token?: string;
  /** CKA_LABEL of the object. */
  object?: string;
  /** CKA_ID of the object. */
  id?: Buffer;
  /** Object class: public, private, cert, secret-key, data. */
  type?: string;
  /** Every other path attribute, decoded. */
  path: Record<string, string>;
  /** Query attributes (pin-source, module-path, …), decoded. */
  query: Record<string, string>;
}

const PATH_ATTRIBUTES = new Set([
  'token', 'manufacturer', 'serial', 'model', 'library-manufacturer', 'library-version',
  'library-description', 'object', 'type', 'id', 'slot-description', 'slot-manufacturer', 'slot-id',
]);

const PCHAR = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;
const QCHAR = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]|%[0-9A-Fa-f]{2})*$/;
const RAW = /[A-Za-z0-9\-._~:[\]@!$'()*+,=&]/;

function decode(value: string, allowed: RegExp, name: string): Buffer {
  if (!allowed.test(value)) throw badRequest(`PKCS#11 URI attribute "${name}" has an unencoded reserved character`);
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '%') {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(value.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}

function splitAttributes(part: string, separator: string, allowed: RegExp): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (part === '') return out;
  for (const attr of part.split(separator)) {
    const eq = attr.indexOf('=');
    if (eq <= 0) throw badRequest(`PKCS#11 URI attribute "${attr}" is not name=value`);
    const name = attr.slice(0, eq);
    if (out.has(name)) throw badRequest(`PKCS#11 URI repeats attribute "${name}"`);
    out.set(name, decode(attr.slice(eq + 1), allowed, name));
  }
  return out;
}

/** Parses an RFC 7512 URI; throws `BadRequest` on anything malformed. */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!/^pkcs11:/i.test(uri)) throw badRequest('key reference is not a pkcs11: URI');
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const path = splitAttributes(q < 0 ? rest : rest.slice(0, q), ';', PCHAR);
  const query = splitAttributes(q < 0 ? '' : rest.slice(q + 1), '&', QCHAR);
  const result: Pkcs11Uri = { path: {}, query: {} };
  for (const [name, value] of path) {
    if (!PATH_ATTRIBUTES.has(name) && !name.startsWith('x-')) {
      throw badRequest(`PKCS#11 URI has unknown attribute "${name}"`);
    }
    if (name === 'id') result.id = value;
    else if (name === 'token' || name === 'object' || name === 'type') result[name] = value.toString('utf8');
    else result.path[name] = value.toString('utf8');
  }
  for (const [name, value] of query) result.query[name] = value.toString('utf8');
  return result;
}

function encodeText(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && RAW.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Formats `token`, `object`, `type` and `id` (always fully percent-encoded) in that order. */
export function formatPkcs11Uri(ref: { token?: string; object?: string; type?: string; id?: Uint8Array }): string {
  const attrs: string[] = [];
  if (ref.token !== undefined) attrs.push(`token=${encodeText(ref.token)}`);
  if (ref.object !== undefined) attrs.push(`object=${encodeText(ref.object)}`);
  if (ref.type !== undefined) attrs.push(`type=${encodeText(ref.type)}`);
  if (ref.id !== undefined) {
    attrs.push(`id=${Array.from(ref.id, (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')}`);
  }
  return `pkcs11:${attrs.join(';')}`;
}
