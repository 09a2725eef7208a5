/**
 * For every CA key algorithm (keys generated in SoftHSM) × every CSR key type: the intermediate
 * the API issues, and a leaf signed with the intermediate's key, are accepted by OpenSSL
 * (-x509_strict), GnuTLS and NSS (NSS's Ed25519 limit excepted, as judges.md states).
 * Also shows every CA private key in the token is sensitive and never extractable.
 */
import assert from 'node:assert/strict';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../../src/keystore/keystore';
import { startHarness, type Harness } from '../helpers/harness';
import { call } from '../helpers/http';
import { opensslCsr, type KeySpec } from '../helpers/csr-factory';
import { allAccept, describeVerdict, judgeChain, signLeafWithOpenssl } from '../helpers/judges';

const CSR_KEYS: KeySpec[] = ['RSA-2048', 'RSA-3072', 'RSA-4096', 'P-256', 'P-384', 'P-521', 'Ed25519'];

describe('issued intermediates under third-party judges', function () {
  this.timeout(600_000);
  let h: Harness;
  let token: string;
  const roots = new Map<KeyAlgorithm, { id: string; keyRef: string; pem?: string }>();
  const csrs = new Map<KeySpec, { csr: string; keyPem: string }>();

  before(async () => {
    h = await startHarness();
    token = await h.token();
    for (const alg of KEY_ALGORITHMS) {
      const ca = await h.createRoot({ keyAlgorithm: alg, commonName: `Judged Root ${alg}`, maxPathLength: 1 });
      roots.set(alg, ca);
    }
    for (const k of CSR_KEYS) csrs.set(k, opensslCsr(k, { subject: `/O=hsmca tests/CN=Intermediate ${k}` }));
  });
  after(() => h.close());

  it('every CA private key is CKA_SENSITIVE and not CKA_EXTRACTABLE in the token', async () => {
    for (const [alg, ca] of roots) {
      const { privateKey } = await h.keyStore.inspectKey(ca.keyRef);
      assert.equal(privateKey.sensitive, true, alg);
      assert.equal(privateKey.extractable, false, alg);
      assert.equal(privateKey.alwaysSensitive, true, alg);
      assert.equal(privateKey.neverExtractable, true, alg);
      assert.equal(privateKey.token, true, alg);
    }
  });

  for (const alg of KEY_ALGORITHMS) {
    it(`CA key ${alg}: intermediates for every CSR key type, and leaves under them, pass all judges`, async () => {
      const root = roots.get(alg)!;
      for (const [k, { csr, keyPem }] of csrs) {
        const res = await call(h.base, `/api/v1/cert-manager/ca/internal/${root.id}/sign-intermediate`, {
          token, body: { csr, notAfter: new Date(Date.now() + 30 * 86400_000).toISOString() },
        });
        assert.equal(res.status, 200, res.text);
        const rootPem = res.body.issuingCaCertificate;
        const asCa = await judgeChain({ root: rootPem, target: res.body.certificate });
        assert.ok(allAccept(asCa), `${alg} → ${k} intermediate:\n${describeVerdict(asCa)}`);
        const leaf = signLeafWithOpenssl(res.body.certificate, keyPem);
        const asLeaf = await judgeChain({ root: rootPem, intermediates: [res.body.certificate], target: leaf.certPem });
        assert.ok(allAccept(asLeaf), `${alg} → ${k} → leaf:\n${describeVerdict(asLeaf)}`);
        // OpenSSL judges everything here, Ed25519 included: it must never be the excused one.
        assert.ok(asCa.openssl.ok && asLeaf.openssl.ok && asCa.gnutls.ok && asLeaf.gnutls.ok);
      }
    });
  }
});
