/**
 * mTLS: a client certificate that the TLS layer already verified against the configured client
 * CA is mapped to an identity by its subject DN or by one of its subjectAltNames.
 */
import crypto from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectAlternativeName } from '@peculiar/asn1-x509';
import { parseDer } from '../der';
import { readName } from '../ca/name';
import { AppError } from '../errors';
import type { IdentityClientCertRow } from '../store';
import type { AuthDeps } from './auth-deps';
import { normalizeSubject } from './distinguished-name';
import type { Claimed, Identity } from './identity';
import { liveIdentity } from './tokens';

export type ClientCertKey = Omit<IdentityClientCertRow, 'identity_id'>;

const EXT_SAN = '2.5.29.17';
/** The subjectAltName kinds a mapping can name. */
export const SAN_KINDS = ['dns', 'email', 'uri'] as const;

/** `dns:Host.Example` → `dns:host.example`; throws for a kind that is not supported. */
export function normalizeSan(text: string): string {
  const i = text.indexOf(':');
  const kind = text.slice(0, i).trim().toLowerCase();
  const value = text.slice(i + 1).trim();
  if (i < 0 || !(SAN_KINDS as readonly string[]).includes(kind) || !value) {
    throw new Error(`'${text}' is not a subjectAltName of the form ${SAN_KINDS.map((k) => `${k}:VALUE`).join(', ')}`);
  }
  return `${kind}:${kind === 'dns' ? value.toLowerCase() : value}`;
}

/** What an operator may map: the subject DN and the DNS, email and URI subjectAltNames. */
export function clientCertKeys(der: Buffer): ClientCertKey[] {
  const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;
  const keys: ClientCertKey[] = [];
  const text = readName(parseDer(Buffer.from(AsnConvert.serialize(tbs.subject)))).text;
  if (text) keys.push({ kind: 'subject', value: normalizeSubject(text) });
  const ext = tbs.extensions?.find((e) => e.extnID === EXT_SAN);
  for (const name of ext ? AsnConvert.parse(ext.extnValue, SubjectAlternativeName) : []) {
    const san = name.dNSName !== undefined ? `dns:${name.dNSName.toLowerCase()}`
      : name.rfc822Name !== undefined ? `email:${name.rfc822Name}`
      : name.uniformResourceIdentifier !== undefined ? `uri:${name.uniformResourceIdentifier}` : undefined;
    if (san) keys.push({ kind: 'san', value: san });
  }
  return keys;
}

/**
 * The identity a verified client certificate maps to. No mapping, or mappings to two
 * identities, is a 401: the certificate is trusted, but not as anyone in particular.
 */
export async function authenticateClientCert(deps: AuthDeps, der: Buffer, claimed: Claimed = {}): Promise<Identity> {
  const credential = `cert:${crypto.createHash('sha256').update(der).digest('hex')}`;
  claimed.credential = credential;
  let keys: ClientCertKey[];
  try {
    keys = clientCertKeys(der);
  } catch {
    throw new AppError('Unauthorized', 'Client certificate could not be read');
  }
  const ids = await deps.store.identities.identitiesForClientCert(keys);
  if (ids.length !== 1) {
    throw new AppError('Unauthorized', ids.length ? 'Client certificate maps to more than one identity' : 'Client certificate is not mapped to an identity');
  }
  const identity = await deps.store.identities.getIdentity(ids[0]);
  if (!identity) throw new AppError('Unauthorized', 'Client certificate is not mapped to an identity');
  return liveIdentity(identity, credential, deps.now(), claimed);
}
