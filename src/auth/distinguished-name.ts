/**
 * Subject DNs as operators type them, made comparable with the subject of a client certificate
 * (`readName(...).text`: RDNs in the certificate's encoded order, `, `-joined, RFC 4514 escapes).
 * Accepted: that form, OpenSSL's default `subject=C = NL, O = "Corp, Inc", CN = alice`, and any
 * spacing around `=`, `,` and `+`. Attribute types are matched case-insensitively.
 */
import { escapeValue, SHORT_NAMES } from '../ca/name';

const CANONICAL_TYPE = new Map(Object.values(SHORT_NAMES).map((t) => [t.toLowerCase(), t]));

interface Atv {
  type: string;
  value: string;
}

/** Splits DN text into RDNs of attribute-value pairs, undoing quotes and escapes. */
function parseDn(text: string): Atv[][] {
  const rdns: Atv[][] = [[]];
  let type: string | undefined;
  let buf = '';
  let quoted = false;
  let trailing = ''; // spaces seen after the value, kept only if more value follows
  const finish = (): void => {
    if (type === undefined) throw new Error(`'${buf.trim()}' is not of the form type=value`);
    rdns[rdns.length - 1].push({ type: type.trim(), value: buf });
    type = undefined;
    buf = '';
    trailing = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') quoted = false;
      else buf += c === '\\' ? text[++i] ?? '' : c;
    } else if (type === undefined) {
      if (c === '=') [type, buf] = [buf, ''];
      else buf += c;
    } else if (c === '\\') {
      const hex = /^[0-9a-fA-F]{2}/.exec(text.slice(i + 1));
      buf += trailing + (hex ? String.fromCharCode(parseInt(hex[0], 16)) : text[i + 1] ?? '');
      trailing = '';
      i += hex ? 2 : 1;
    } else if (c === '"' && buf === '') quoted = true;
    else if (c === ',' || c === '+') {
      finish();
      if (c === ',') rdns.push([]);
    } else if (c === ' ') {
      if (buf !== '') trailing += c;
    } else {
      buf += trailing + c;
      trailing = '';
    }
  }
  if (quoted) throw new Error('unterminated quote');
  finish();
  return rdns;
}

/** The one text form a DN is compared in; throws with a reason when the text is not a DN. */
export function normalizeSubject(text: string): string {
  const rdns = parseDn(text.trimStart().replace(/^subject\s*=\s*/i, ''));
  return rdns.map((rdn) => rdn.map(({ type, value }) => {
    if (!type || !value) throw new Error(`empty attribute type or value in '${text}'`);
    return `${CANONICAL_TYPE.get(type.toLowerCase()) ?? type}=${escapeValue(value)}`;
  }).join('+')).join(', ');
}
