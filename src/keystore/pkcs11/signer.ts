/** A `Signer` over one token private key. */
import { hash } from 'node:crypto';
import * as graphene from 'graphene-pk11';
import type * as pkcs11js from 'pkcs11js';
import type { KeyAlgorithm, SignatureAlgorithm, Signer } from '../keystore';
import type { KeyCache } from './key-cache';
import type { KeyRef } from './key-lookup';
import type { SignPlan } from './mechanisms';
import { ckmName } from './names';
import type { Token } from './token';

export interface SignerSpec {
  uri: string;
  keyAlgorithm: KeyAlgorithm;
  spki: Buffer;
  signatureAlgorithm: SignatureAlgorithm;
  plan: SignPlan;
  ref: KeyRef;
}

export class Pkcs11Signer implements Signer {
  readonly uri: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly spki: Buffer;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly mechanism: string;
  /** The mechanism as the library takes it, built once rather than per signature. */
  private readonly ckMechanism: pkcs11js.Mechanism;

  constructor(
    private readonly token: Token,
    private readonly keys: KeyCache,
    private readonly spec: SignerSpec,
  ) {
    this.uri = spec.uri;
    this.keyAlgorithm = spec.keyAlgorithm;
    this.spki = spec.spki;
    this.signatureAlgorithm = spec.signatureAlgorithm;
    this.mechanism = ckmName(Number(spec.plan.mechanism.name));
    this.ckMechanism = graphene.Mechanism.create(spec.plan.mechanism);
  }

  async sign(tbs: Buffer): Promise<Buffer> {
    const { plan, ref } = this.spec;
    // Raw CKM_ECDSA signs a digest: hashing here is the host's half of "hash + ECDSA".
    const data = plan.prehash ? hash(plan.prehash, tbs, 'buffer') : tbs;
    const raw = await this.token.run('PKCS#11 sign', async (session, signal) => {
      const started = process.hrtime.bigint();
      const key = this.keys.cached(ref) ?? await this.keys.get(ref);
      const signature = await this.token.signThreads.sign(session, this.ckMechanism, key.privateKey, data, signal);
      this.token.events?.signed?.({ mechanism: this.mechanism, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
      return signature;
    }, { timed: true });
    return plan.toX509(raw);
  }
}
