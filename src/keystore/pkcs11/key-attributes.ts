/**
 * Read-only view of a key pair's protection attributes, so tests and operators can check that
 * a CA key is sensitive and non-extractable without touching PKCS#11 themselves.
 */
import type * as graphene from 'graphene-pk11';
import type { FoundKey } from './key-lookup';

export interface PrivateKeyAttributes {
  label: string;
  id: Buffer;
  token: boolean;
  private: boolean;
  sensitive: boolean;
  extractable: boolean;
  alwaysSensitive: boolean;
  neverExtractable: boolean;
  sign: boolean;
}

export interface PublicKeyAttributes {
  label: string;
  id: Buffer;
  token: boolean;
  private: boolean;
  verify: boolean;
}

export interface KeyAttributes {
  privateKey: PrivateKeyAttributes;
  publicKey: PublicKeyAttributes;
}

/** An optional ability of a key store (the KeyStore core stays small). */
export interface KeyInspector {
  /** Reads the attributes of the key pair an RFC 7512 URI names; BadRequest if none. */
  inspectKey(uri: string): Promise<KeyAttributes>;
}

const PRIVATE_TEMPLATE = {
  label: null, id: null, token: null, private: null, sensitive: null, extractable: null,
  alwaysSensitive: null, neverExtractable: null, sign: null,
};
const PUBLIC_TEMPLATE = { label: null, id: null, token: null, private: null, verify: null };

export function readKeyAttributes(key: FoundKey): KeyAttributes {
  const read = (object: graphene.SessionObject, template: graphene.ITemplate): unknown =>
    object.getAttribute({ ...template });
  return {
    privateKey: read(key.privateKey, PRIVATE_TEMPLATE) as PrivateKeyAttributes,
    publicKey: read(key.publicKey, PUBLIC_TEMPLATE) as PublicKeyAttributes,
  };
}
