/**
 * X.501 Names: reading a CSR's subject (structure and commonNames, contract row 13) and building
 * the subject of a root CA.
 *
 * ```asn1
 * Name ::= CHOICE { -- only one possibility for now --
 *   rdnSequence  RDNSequence }
 * RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 * RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 * AttributeTypeAndValue ::= SEQUENCE {
 *   type     AttributeType,
 *   value    AttributeValue }
 * DirectoryString ::= CHOICE {
 *   teletexString       TeletexString (SIZE (1..MAX)),
 *   printableString     PrintableString (SIZE (1..MAX)),
 *   universalString     UniversalString (SIZE (1..MAX)),
 *   utf8String          UTF8String (SIZE (1..MAX)),
 *   bmpString           BMPString (SIZE (1..MAX)) }
 * ```
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { badRequest } from '../errors';
import { Der, DerError, TAG, childrenOf, decodeOid, expectTag, parseDer } from '../der';

const OID_CN = '2.5.4.3';

/** Short names for the subject text; other attribute types print as dotted OIDs (RFC 4514 2.3). */
export const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L',
  '2.5.4.8': 'ST', '2.5.4.9': 'street', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title',
  '2.5.4.42': 'GN', '2.5.4.97': 'organizationIdentifier', '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress',
};

export interface NameSummary {
  /** Number of RDNs; 0 for an empty subject. */
  readonly rdnCount: number;
  /** Every commonName value, decoded. */
  readonly commonNames: string[];
  /**
   * Display form: RDNs in encoded order joined by `, ` (as OpenSSL prints them), multi-valued
   * RDNs joined by `+`, values escaped as RFC 4514 2.4 asks, non-string values as `#hex`.
   */
  readonly text: string;
}

/** Walks a Name, checking its structure; throws `DerError` when malformed. */
export function readName(name: Der): NameSummary {
  expectTag(name, TAG.SEQUENCE, 'Name');
  const rdns = childrenOf(name);
  const commonNames: string[] = [];
  const texts: string[] = [];
  for (const rdn of rdns) {
    expectTag(rdn, TAG.SET, 'RelativeDistinguishedName');
    const atvs = childrenOf(rdn);
    if (atvs.length === 0) throw new DerError('empty RelativeDistinguishedName');
    texts.push(atvs.map((atv) => readAttribute(atv, commonNames)).join('+'));
  }
  return { rdnCount: rdns.length, commonNames, text: texts.join(', ') };
}

/** One AttributeTypeAndValue as `type=value` text; commonNames are decoded strictly and collected. */
function readAttribute(atv: Der, commonNames: string[]): string {
  expectTag(atv, TAG.SEQUENCE, 'AttributeTypeAndValue');
  const [type, value, ...rest] = childrenOf(atv);
  if (!type || !value || rest.length) throw new DerError('malformed AttributeTypeAndValue');
  const oid = decodeOid(type);
  const label = SHORT_NAMES[oid] ?? oid;
  if (oid !== OID_CN) return `${label}=${valueText(value)}`;
  const cn = decodeDirectoryString(value, 'commonName');
  commonNames.push(cn);
  return `${label}=${escapeValue(cn)}`;
}

function valueText(value: Der): string {
  try {
    return escapeValue(decodeDirectoryString(value, 'value'));
  } catch {
    return `#${value.raw.toString('hex')}`;
  }
}

/** RFC 4514 2.4 escaping. */
export const escapeValue = (v: string): string =>
  v.replace(/[,+"\\<>;]/g, '\\$&').replace(/^[ #]/, '\\$&').replace(/ $/, '\\ ').replace(/\0/g, '\\00');

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a DirectoryString (IA5String tolerated, as old tools write it). */
export function decodeDirectoryString(node: Der, what: string): string {
  const v = node.value;
  switch (node.tag) {
    case TAG.UTF8_STRING:
      try {
        return utf8.decode(v);
      } catch {
        throw new DerError(`${what} is not valid UTF-8`);
      }
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.TELETEX_STRING:
      return v.toString('latin1');
    case TAG.BMP_STRING:
      if (v.length % 2) throw new DerError(`${what} is not valid UCS-2`);
      return Buffer.from(v).swap16().toString('utf16le');
    case TAG.UNIVERSAL_STRING:
      return decodeUcs4(v, what);
    default:
      throw new DerError(`${what} is not a directory string`);
  }
}

function decodeUcs4(v: Buffer, what: string): string {
  if (v.length % 4) throw new DerError(`${what} is not valid UCS-4`);
  let out = '';
  for (let i = 0; i < v.length; i += 4) {
    const cp = v.readUInt32BE(i);
    if (cp > 0x10ffff) throw new DerError(`${what} is not valid UCS-4`);
    out += String.fromCodePoint(cp);
  }
  return out;
}

/** RFC 5280 Appendix A upper bounds. */
export const UB_COMMON_NAME = 64;
const UB = { organization: 64, ou: 64, locality: 128, province: 128 } as const;

/** Contract row 13. */
export function checkSubject(summary: NameSummary): void {
  if (summary.rdnCount === 0) throw badRequest('CSR subject is empty');
  if (summary.commonNames.some((cn) => [...cn].length > UB_COMMON_NAME)) {
    throw badRequest(`CSR commonName exceeds ${UB_COMMON_NAME} characters (RFC 5280 ub-common-name)`);
  }
}

export interface NameFields {
  commonName?: string;
  organization?: string;
  ou?: string;
  /** ISO 3166 two-letter code. */
  country?: string;
  province?: string;
  locality?: string;
}

export interface BuiltName {
  /** The Name, DER. */
  subjectDer: Buffer;
  /** Its display form, as `readName(…).text` renders it, e.g. `C=US, O=Acme, CN=Acme Root`. */
  dn: string;
}

/**
 * A root CA's subject: one attribute per RDN in the order C, ST, L, O, OU, CN (most general
 * first, as X.500 and every browser-trusted root has it); countryName is a PrintableString
 * (RFC 5280 Appendix A), the others UTF8String (RFC 5280 4.1.2.4: MUST for new certificates).
 * Empty fields are left out; at least one must be given. Throws `BadRequest` for values the RFC
 * bounds forbid.
 */
export function buildName(fields: NameFields): BuiltName {
  const { commonName, organization, ou, country, province, locality } = fields;
  const rdns: RelativeDistinguishedName[] = [];
  const add = (type: string, value: AttributeValue): void => {
    rdns.push(new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]));
  };
  if (country) {
    if (!/^[A-Z]{2}$/.test(country)) throw badRequest('country must be a two-letter ISO 3166 code, e.g. "US"');
    add('2.5.4.6', new AttributeValue({ printableString: country }));
  }
  const text = (type: string, value: string | undefined, label: string, ub: number): void => {
    if (!value) return;
    if ([...value].length > ub) throw badRequest(`${label} exceeds ${ub} characters (RFC 5280 upper bound)`);
    add(type, new AttributeValue({ utf8String: value }));
  };
  text('2.5.4.8', province, 'stateOrProvinceName', UB.province);
  text('2.5.4.7', locality, 'localityName', UB.locality);
  text('2.5.4.10', organization, 'organizationName', UB.organization);
  text('2.5.4.11', ou, 'organizationalUnitName', UB.ou);
  text(OID_CN, commonName, 'commonName', UB_COMMON_NAME);
  if (rdns.length === 0) throw badRequest('The subject needs at least one of commonName, organization, ou, country, province, locality');
  const subjectDer = Buffer.from(AsnConvert.serialize(new Name(rdns)));
  return { subjectDer, dn: readName(parseDer(subjectDer, TAG.SEQUENCE)).text };
}
