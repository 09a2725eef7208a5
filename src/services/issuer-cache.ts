import { loadIssuer, type IssuerContext } from '../ca/issuer';
import { toPem } from '../ca/pem';
import { AppError } from '../errors';
import type { KeyStore } from '../keystore/keystore';
import type { CaRow, Store } from '../store';

/** Everything about a CA that signing a child needs, computed once per active CA certificate. */
export interface ActiveIssuer {
  caCertId: string;
  issuer: IssuerContext;
  certPem: string;
  /** The issuer's own chain up to the root, nearest first, LF-joined ('' for a root). */
  chainPem: string;
  /** `certificateChain` of a child: this certificate, then its own chain. */
  childChainPem: string;
}

/**
 * Caches the issuer-side parts of every TBS (issuer Name DER, AKI, algorithm identifier, parsed
 * certificate, open signer) per CA. Checked against the active certificate's id, so installing a new
 * certificate for a CA is picked up on the next request without any invalidation call.
 */
export class IssuerCache {
  /** One entry per CA: the active certificate it was loaded for, and the load. */
  private readonly entries = new Map<string, { certId: string; issuer: Promise<ActiveIssuer> }>();

  constructor(private readonly store: Store, private readonly keyStore: KeyStore) {}

  get(ca: CaRow): Promise<ActiveIssuer> {
    const certId = ca.active_ca_cert_id;
    if (!certId) throw new Error(`CA ${ca.id} has no active certificate`);
    const cached = this.entries.get(ca.id);
    if (cached?.certId === certId) return cached.issuer;
    // A new active certificate (renewal, import) replaces the CA's entry: nothing old lingers.
    const entry = { certId, issuer: this.load(ca, certId) };
    this.entries.set(ca.id, entry);
    // A failed load (HSM down) must not poison the cache.
    entry.issuer.catch(() => {
      if (this.entries.get(ca.id) === entry) this.entries.delete(ca.id);
    });
    return entry.issuer;
  }

  private async load(ca: CaRow, certId: string): Promise<ActiveIssuer> {
    const row = await this.store.getCaCertificate(certId);
    if (!row) throw new Error(`CA certificate ${certId} of CA ${ca.id} is missing`);
    const der = Buffer.from(row.der, 'base64');
    const signer = await this.keyStore.openSigner(ca.key_ref).catch((e: unknown) => {
      // A CA whose key the token cannot find is the operator's problem, never the client's:
      // HSM trouble stays a 503, anything else becomes a 500 (with the cause in the log).
      if (e instanceof AppError && e.kind === 'HsmUnavailable') throw e;
      throw new AppError('Internal', `key of CA ${ca.id} cannot be used`, undefined, { cause: e });
    });
    const certPem = toPem(der, 'CERTIFICATE');
    const childChainPem = row.chain_pem ? `${certPem}\n${row.chain_pem}` : certPem;
    return { caCertId: certId, issuer: loadIssuer(der, signer), certPem, chainPem: row.chain_pem, childChainPem };
  }
}
