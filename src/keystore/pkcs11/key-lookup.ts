/**
 * From an RFC 7512 URI to the token's key objects: the private key that signs and the public
 * key whose attributes give the SPKI. Runs on the login session (short synchronous calls).
 */
import * as graphene from 'graphene-pk11';
import { badRequest } from '../../errors';
import { formatPkcs11Uri, parsePkcs11Uri } from './uri';
import { type PublicKeyInfo, readPublicKey } from './public-key';

export interface KeyRef {
  readonly object?: string;
  readonly id?: Buffer;
}

export interface FoundKey extends PublicKeyInfo {
  privateKey: graphene.PrivateKey;
  publicKey: graphene.PublicKey;
  /** Canonical URI: token, object and id as the token stores them. */
  uri: string;
}

/** Checks a URI names a key in this token, by label and/or id; throws BadRequest if not. */
export function keyRefFromUri(uri: string, tokenLabel: string): KeyRef {
  const parsed = parsePkcs11Uri(uri);
  if (parsed.token !== undefined && parsed.token !== tokenLabel) {
    throw badRequest(`PKCS#11 URI names token "${parsed.token}", not the configured token`);
  }
  if (parsed.type !== undefined && parsed.type !== 'private') {
    throw badRequest(`PKCS#11 URI names a ${parsed.type} object, not a private key`);
  }
  if ('pin-value' in parsed.query) throw badRequest('a PIN does not belong in a key URI');
  if (parsed.object === undefined && parsed.id === undefined) {
    throw badRequest('PKCS#11 URI names no key: give object= and/or id=');
  }
  return { object: parsed.object, id: parsed.id };
}

function findOne<T extends graphene.SessionObject>(
  session: graphene.Session, template: graphene.ITemplate, what: string,
): T | undefined {
  const found = session.find(template);
  if (found.length > 1) throw badRequest(`${found.length} ${what}s match; name the key by id=`);
  return found.length === 1 ? found.items(0).toType<T>() : undefined;
}

/** Finds the private key a reference names and its public half (same CKA_ID). */
export function findKey(session: graphene.Session, tokenLabel: string, ref: KeyRef): FoundKey {
  const match: graphene.ITemplate = {};
  if (ref.object !== undefined) match.label = ref.object;
  if (ref.id !== undefined) match.id = ref.id;
  const privateKey = findOne<graphene.PrivateKey>(
    session, { ...match, class: graphene.ObjectClass.PRIVATE_KEY }, 'private key',
  );
  if (!privateKey) throw badRequest('no private key in the token matches the PKCS#11 URI');
  const { label, id } = privateKey.getAttribute({ label: null, id: null }) as { label: string; id: Buffer };
  // The public half shares the CKA_ID; fall back to the label for keys made without an id.
  const publicMatch = id.length > 0 ? { id } : { label };
  const publicKey = findOne<graphene.PublicKey>(
    session, { ...publicMatch, class: graphene.ObjectClass.PUBLIC_KEY }, 'public key',
  );
  if (!publicKey) throw badRequest('the private key has no public key object in the token, so no SPKI can be built');
  const info = readPublicKey(publicKey);
  const uri = formatPkcs11Uri({ token: tokenLabel, object: label, id: id.length > 0 ? id : undefined });
  return { ...info, privateKey, publicKey, uri };
}
