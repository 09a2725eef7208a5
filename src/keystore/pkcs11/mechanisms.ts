/**
 * Signature algorithm → PKCS#11 mechanism, chosen from what the token says it has
 * (`C_GetMechanismList`), never assumed: SoftHSM 2.6.1 has no CKM_ECDSA_SHA*, some HSMs do.
 */
import * as graphene from 'graphene-pk11';
import { badRequest } from '../../errors';
import type { KeyAlgorithm, SignatureAlgorithm } from '../keystore';
import { ecdsaRawToDer } from './ecdsa-der';
import { KEY_SPECS } from './key-algorithms';
import { ckmName } from './names';

/** How to sign one way: hash on the host first or not, which mechanism, how to shape the output. */
export interface SignPlan {
  mechanism: graphene.IAlgorithm;
  /** node:crypto hash to apply on the host before C_Sign (raw CKM_ECDSA signs a digest). */
  prehash?: 'sha256' | 'sha384' | 'sha512';
  /** Turns the token's output into the X.509 signature value. */
  toX509(raw: Buffer): Buffer;
}

/** CKM_ values (pkcs11t.h; 3.0 for EdDSA, which graphene's enum lacks). */
export const CKM = {
  RSA_PKCS_KEY_PAIR_GEN: 0x0000,
  SHA256_RSA_PKCS: 0x0040,
  SHA384_RSA_PKCS: 0x0041,
  SHA512_RSA_PKCS: 0x0042,
  SHA256_RSA_PKCS_PSS: 0x0043,
  SHA384_RSA_PKCS_PSS: 0x0044,
  SHA512_RSA_PKCS_PSS: 0x0045,
  EC_KEY_PAIR_GEN: 0x1040,
  ECDSA: 0x1041,
  ECDSA_SHA256: 0x1044,
  ECDSA_SHA384: 0x1045,
  ECDSA_SHA512: 0x1046,
  EC_EDWARDS_KEY_PAIR_GEN: 0x1055,
  EDDSA: 0x1057,
} as const;

type Hash = 'sha256' | 'sha384' | 'sha512';

const HASH_OF: Partial<Record<SignatureAlgorithm, Hash>> = {
  sha256WithRSAEncryption: 'sha256', sha384WithRSAEncryption: 'sha384', sha512WithRSAEncryption: 'sha512',
  'rsassaPss-sha256': 'sha256', 'rsassaPss-sha384': 'sha384', 'rsassaPss-sha512': 'sha512',
  'ecdsa-with-SHA256': 'sha256', 'ecdsa-with-SHA384': 'sha384', 'ecdsa-with-SHA512': 'sha512',
};

const RSA_PKCS1 = { sha256: CKM.SHA256_RSA_PKCS, sha384: CKM.SHA384_RSA_PKCS, sha512: CKM.SHA512_RSA_PKCS };
const RSA_PSS = { sha256: CKM.SHA256_RSA_PKCS_PSS, sha384: CKM.SHA384_RSA_PKCS_PSS, sha512: CKM.SHA512_RSA_PKCS_PSS };
const ECDSA_HASHED = { sha256: CKM.ECDSA_SHA256, sha384: CKM.ECDSA_SHA384, sha512: CKM.ECDSA_SHA512 };

/** Salt = hash length and MGF1 over the same hash: the one PSS shape every HSM accepts. */
const PSS_PARAMS = {
  sha256: () => new graphene.RsaPssParams(graphene.MechanismEnum.SHA256, graphene.RsaMgf.MGF1_SHA256, 32),
  sha384: () => new graphene.RsaPssParams(graphene.MechanismEnum.SHA384, graphene.RsaMgf.MGF1_SHA384, 48),
  sha512: () => new graphene.RsaPssParams(graphene.MechanismEnum.SHA512, graphene.RsaMgf.MGF1_SHA512, 64),
};

const asIs = (raw: Buffer): Buffer => raw;

/** The mechanism types a slot offers. */
export function probeMechanisms(slot: graphene.Slot): Set<number> {
  const list = slot.getMechanisms();
  const types = new Set<number>();
  for (let i = 0; i < list.length; i++) types.add(list.items(i).type);
  return types;
}

function need(available: ReadonlySet<number>, type: number, what: string): number {
  if (!available.has(type)) throw badRequest(`the token has no ${ckmName(type)} mechanism for ${what}`);
  return type;
}

function ecdsaPlan(hash: Hash, available: ReadonlySet<number>, what: string): SignPlan {
  if (available.has(ECDSA_HASHED[hash])) {
    return { mechanism: { name: ECDSA_HASHED[hash], params: null }, toX509: ecdsaRawToDer };
  }
  need(available, CKM.ECDSA, what);
  return { mechanism: { name: CKM.ECDSA, params: null }, prehash: hash, toX509: ecdsaRawToDer };
}

/**
 * Picks how `key` signs with `signature`. Throws `BadRequest` when the pair does not fit
 * (an RSA algorithm on an EC key, …) or the token lacks the mechanism.
 */
export function planSignature(
  key: KeyAlgorithm, signature: SignatureAlgorithm, available: ReadonlySet<number>,
): SignPlan {
  const kind = KEY_SPECS[key].kind;
  const what = `${signature} with ${key}`;
  const hash = HASH_OF[signature];
  if (signature === 'Ed25519' && kind === 'ed25519') {
    return { mechanism: { name: need(available, CKM.EDDSA, what), params: null }, toX509: asIs };
  }
  if (hash && kind === 'rsa' && signature.startsWith('rsassaPss')) {
    return { mechanism: { name: need(available, RSA_PSS[hash], what), params: PSS_PARAMS[hash]() }, toX509: asIs };
  }
  if (hash && kind === 'rsa' && signature.endsWith('WithRSAEncryption')) {
    return { mechanism: { name: need(available, RSA_PKCS1[hash], what), params: null }, toX509: asIs };
  }
  if (hash && kind === 'ec' && signature.startsWith('ecdsa')) return ecdsaPlan(hash, available, what);
  throw badRequest(`${key} keys cannot sign with ${signature}`);
}
