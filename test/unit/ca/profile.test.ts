/**
 * Known answers: fixed keys (Ed25519 from fixed seeds: deterministic signatures), fixed serial,
 * fixed clock → exact bytes, derived here from the RFC encodings by hand, not from src/.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as x from '@peculiar/asn1-x509';
import { signCertificate, verifyCertificate } from '../../../src/ca/certificate';
import { parseCertificateInfo } from '../../../src/ca/certificate-info';
import { checkCsr } from '../../../src/ca/csr';
import {
  KEY_USAGE_CA, authorityInfoAccessCaIssuers, authorityKeyIdentifier, basicConstraintsCa,
  crlDistributionPoints, keyIdentifierOf, subjectKeyIdentifier,
} from '../../../src/ca/extensions';
import { loadIssuer } from '../../../src/ca/issuer';
import { buildName } from '../../../src/ca/name';
import { toPem } from '../../../src/ca/pem';
import { buildIntermediateTbs, buildRootTbs } from '../../../src/ca/profile';
import { algorithmIdentifierDer } from '../../../src/ca/signature-algorithm';
import { craftCsr, opensslCsr } from '../../helpers/csr-factory';
import { ed25519FromSeed, softwareSigner } from '../../helpers/software-signer';

/** Hex TLV with its DER length, written independently of src/ca/der.ts. */
function tlv(tag: string, ...parts: string[]): string {
  const body = parts.join('');
  const n = body.length / 2;
  const len = n < 0x80 ? n.toString(16).padStart(2, '0') : n < 0x100 ? `81${n.toString(16).padStart(2, '0')}` : `82${n.toString(16).padStart(4, '0')}`;
  return `${tag}${len}${body}`;
}
const seq = (...p: string[]): string => tlv('30', ...p);
const ascii = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const sha1 = (hex: string): string => crypto.createHash('sha1').update(Buffer.from(hex, 'hex')).digest('hex');
const openssl = (args: string[], input: string): string => execFileSync('openssl', args, { input }).toString();

const SERIAL = Buffer.from([...Array(20).keys()].map((i) => i + 1)); // 01 02 … 14
const NOT_BEFORE = new Date('2026-01-01T00:00:00Z');
const NOT_AFTER = new Date('2049-12-31T23:59:59Z');
const CRL_URL = 'http://ca.example.test/crl/root.crl';
const AIA_URL = 'http://ca.example.test/ca/root.der';

const rootKey = ed25519FromSeed(Buffer.alloc(32, 0x01));
const subKey = ed25519FromSeed(Buffer.alloc(32, 0x02));
const rawPublic = (k: crypto.KeyObject): string => crypto.createPublicKey(k).export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');
const ROOT_PUB = rawPublic(rootKey);
const SUB_PUB = rawPublic(subKey);
const ED25519_ALG = '300506032b6570';
const spkiHex = (pub: string): string => seq(ED25519_ALG, tlv('03', '00', pub));

// Extensions, from RFC 5280 4.2.1.x by hand.
const BC_CA = '300f0603551d130101ff040530030101ff';
const BC_CA_0 = '30120603551d130101ff040830060101ff020100';
const KU_CA = '300e0603551d0f0101ff040403020186'; // digitalSignature, keyCertSign, cRLSign; 1 unused bit
const ski = (pub: string): string => seq('0603551d0e', tlv('04', tlv('04', sha1(pub))));
const aki = (pub: string): string => seq('0603551d23', tlv('04', seq(tlv('80', sha1(pub)))));
const crlDp = (url: string): string => seq('0603551d1f', tlv('04', seq(seq(tlv('a0', tlv('a0', tlv('86', ascii(url))))))));
const aiaCaIssuers = (url: string): string => seq('06082b06010505070101', tlv('04', seq(seq('06082b06010505073002', tlv('86', ascii(url))))));

const ROOT_NAME = seq(
  tlv('31', seq('0603550406', tlv('13', ascii('US')))),
  tlv('31', seq('060355040a', tlv('0c', ascii('hsmca tests')))),
  tlv('31', seq('0603550403', tlv('0c', ascii('KAT Root')))),
);
const SUB_NAME = seq(tlv('31', seq('0603550403', tlv('0c', ascii('KAT Intermediate')))));
const VALIDITY = seq(tlv('17', ascii('260101000000Z')), tlv('17', ascii('491231235959Z')));
const SERIAL_HEX = `0214${SERIAL.toString('hex')}`;

const rootSigner = () => softwareSigner('Ed25519', 'Ed25519', { privateKey: rootKey });

async function katRoot(): Promise<Buffer> {
  const { subjectDer } = buildName({ commonName: 'KAT Root', organization: 'hsmca tests', country: 'US' });
  const sigAlgDer = algorithmIdentifierDer('Ed25519');
  const signer = rootSigner();
  const tbs = buildRootTbs({ subjectDer, spkiDer: signer.spki, serial: SERIAL, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, pathLen: 1, sigAlgDer });
  return signCertificate(tbs, sigAlgDer, signer);
}

const certHex = (tbs: string, key: crypto.KeyObject): string =>
  seq(tbs, ED25519_ALG, tlv('03', '00', crypto.sign(null, Buffer.from(tbs, 'hex'), key).toString('hex')));

describe('profile: known answers', () => {
  it('extension encodings', () => {
    assert.equal(basicConstraintsCa(undefined).toString('hex'), BC_CA);
    assert.equal(basicConstraintsCa(0).toString('hex'), BC_CA_0);
    assert.equal(KEY_USAGE_CA.toString('hex'), KU_CA);
    const id = Buffer.from(sha1(SUB_PUB), 'hex');
    assert.equal(keyIdentifierOf(Buffer.from(spkiHex(SUB_PUB), 'hex')).toString('hex'), sha1(SUB_PUB));
    assert.equal(subjectKeyIdentifier(id).toString('hex'), ski(SUB_PUB));
    assert.equal(authorityKeyIdentifier(id).toString('hex'), aki(SUB_PUB));
    assert.equal(crlDistributionPoints(CRL_URL).toString('hex'), crlDp(CRL_URL));
    assert.equal(authorityInfoAccessCaIssuers(AIA_URL).toString('hex'), aiaCaIssuers(AIA_URL));
    assert.throws(() => crlDistributionPoints('http://ex ample'));
  });

  it('root: exact certificate bytes', async () => {
    const expectedTbs = seq('a003020102', SERIAL_HEX, ED25519_ALG, ROOT_NAME, VALIDITY, ROOT_NAME, spkiHex(ROOT_PUB),
      tlv('a3', seq(seq('0603551d13', '0101ff', tlv('04', seq('0101ff', '020101'))), KU_CA, ski(ROOT_PUB))));
    const der = await katRoot();
    assert.equal(der.toString('hex'), certHex(expectedTbs, rootKey));
    assert.equal(crypto.createHash('sha256').update(der).digest('hex'), 'daa9c43feed30aeab2a5657380abf2f76be4a3239a2ac46b519207ebb00c02bc');
  });

  it('intermediate: exact certificate bytes (pathLen 0, CRL and AIA URLs)', async () => {
    const issuer = loadIssuer(await katRoot(), rootSigner());
    const csr = checkCsr(craftCsr({ subjectDer: Buffer.from(SUB_NAME, 'hex'), key: subKey, sigAlgDer: algorithmIdentifierDer('Ed25519'), sign: (i, k) => crypto.sign(null, i, k) }).pem);
    const tbs = buildIntermediateTbs({
      issuer, serial: SERIAL, subjectDer: csr.subjectDer, spkiDer: csr.spkiDer, notBefore: NOT_BEFORE, notAfter: NOT_AFTER,
      pathLen: 0, crlUrl: CRL_URL, caIssuersUrl: AIA_URL,
    });
    const expectedTbs = seq('a003020102', SERIAL_HEX, ED25519_ALG, ROOT_NAME, VALIDITY, SUB_NAME, spkiHex(SUB_PUB),
      tlv('a3', seq(BC_CA_0, KU_CA, ski(SUB_PUB), aki(ROOT_PUB), crlDp(CRL_URL), aiaCaIssuers(AIA_URL))));
    assert.equal(tbs.toString('hex'), expectedTbs);
    const der = await signCertificate(tbs, issuer.sigAlgDer, issuer.signer);
    assert.equal(der.toString('hex'), certHex(expectedTbs, rootKey));
    assert.equal(crypto.createHash('sha256').update(der).digest('hex'), '5f99ea4e0336473c705b57c5b21cf268bf4a4baedff702e0797a6346ccde3d7f');
    const text = openssl(['x509', '-noout', '-text'], toPem(der, 'CERTIFICATE'));
    for (const line of ['CA:TRUE, pathlen:0', 'Digital Signature, Certificate Sign, CRL Sign', `URI:${CRL_URL}`, `CA Issuers - URI:${AIA_URL}`,
      'Not After : Dec 31 23:59:59 2049 GMT', 'Issuer: C = US, O = hsmca tests, CN = KAT Root']) {
      assert.ok(text.includes(line), `openssl -text lacks "${line}"\n${text}`);
    }
  });

  it('UTCTime through 2049-12-31T23:59:59Z, GeneralizedTime from 2050-01-01T00:00:00Z', async () => {
    const issuer = loadIssuer(await katRoot(), rootSigner());
    const spkiDer = Buffer.from(spkiHex(SUB_PUB), 'hex');
    const build = (notAfter: Date): string => buildIntermediateTbs({ issuer, serial: SERIAL, subjectDer: Buffer.from(SUB_NAME, 'hex'), spkiDer, notBefore: NOT_BEFORE, notAfter }).toString('hex');
    assert.ok(build(new Date('2049-12-31T23:59:59Z')).includes(seq(tlv('17', ascii('260101000000Z')), tlv('17', ascii('491231235959Z')))));
    assert.ok(build(new Date('2050-01-01T00:00:00Z')).includes(seq(tlv('17', ascii('260101000000Z')), tlv('18', ascii('20500101000000Z')))));
  });
});

describe('profile: agrees with @peculiar/asn1-x509', () => {
  const extension = (extnID: string, critical: boolean, value: object): x.Extension =>
    new x.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

  for (const [pathLen, urls] of [[undefined, false], [0, true], [3, false], [200, true]] as const) {
    it(`TBSCertificate (pathLen ${pathLen ?? 'none'}, ${urls ? 'with' : 'without'} URLs, P-384 issuer, openssl RSA CSR)`, async () => {
      const signer = softwareSigner('P-384');
      const sigAlgDer = algorithmIdentifierDer(signer.signatureAlgorithm);
      const { subjectDer: rootName } = buildName({ commonName: 'Oracle Root' });
      const root = await signCertificate(buildRootTbs({ subjectDer: rootName, spkiDer: signer.spki, serial: SERIAL, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, sigAlgDer }), sigAlgDer, signer);
      const issuer = loadIssuer(root, signer);
      const csr = checkCsr(opensslCsr('RSA-2048', { subject: '/C=DE/O=Beispiel GmbH/CN=Zwischen CA', args: ['-utf8'] }).csr);
      const input = { issuer, serial: SERIAL, subjectDer: csr.subjectDer, spkiDer: csr.spkiDer, notBefore: NOT_BEFORE, notAfter: new Date('2055-06-30T12:00:00Z'), pathLen, ...(urls ? { crlUrl: CRL_URL, caIssuersUrl: AIA_URL } : {}) };
      const ours = buildIntermediateTbs(input);

      const extensions = [
        extension(x.id_ce_basicConstraints, true, new x.BasicConstraints({ cA: true, pathLenConstraint: pathLen })),
        extension(x.id_ce_keyUsage, true, new x.KeyUsage(x.KeyUsageFlags.digitalSignature | x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign)),
        extension(x.id_ce_subjectKeyIdentifier, false, new x.SubjectKeyIdentifier(keyIdentifierOf(csr.spkiDer))),
        extension(x.id_ce_authorityKeyIdentifier, false, new x.AuthorityKeyIdentifier({ keyIdentifier: new x.KeyIdentifier(issuer.ski) })),
      ];
      if (urls) {
        const uri = (u: string) => new x.GeneralName({ uniformResourceIdentifier: u });
        extensions.push(extension(x.id_ce_cRLDistributionPoints, false, new x.CRLDistributionPoints([
          new x.DistributionPoint({ distributionPoint: new x.DistributionPointName({ fullName: [uri(CRL_URL)] }) })])));
        extensions.push(extension(x.id_pe_authorityInfoAccess, false, new x.AuthorityInfoAccessSyntax([
          new x.AccessDescription({ accessMethod: x.id_ad_caIssuers, accessLocation: uri(AIA_URL) })])));
      }
      const reference = new x.TBSCertificate({
        version: x.Version.v3,
        serialNumber: new Uint8Array(SERIAL).buffer,
        signature: AsnConvert.parse(issuer.sigAlgDer, x.AlgorithmIdentifier),
        issuer: AsnConvert.parse(issuer.subjectDer, x.Name),
        validity: new x.Validity({ notBefore: NOT_BEFORE, notAfter: new Date('2055-06-30T12:00:00Z') }),
        subject: AsnConvert.parse(csr.subjectDer, x.Name),
        subjectPublicKeyInfo: AsnConvert.parse(csr.spkiDer, x.SubjectPublicKeyInfo),
        extensions: new x.Extensions(extensions),
      });
      assert.equal(ours.toString('hex'), Buffer.from(AsnConvert.serialize(reference)).toString('hex'));

      const der = await signCertificate(ours, issuer.sigAlgDer, signer);
      assert.ok(verifyCertificate(der, issuer.publicKey));
      const info = parseCertificateInfo(der);
      assert.equal(info.pathLen, pathLen);
      assert.deepEqual(info.subjectDer, csr.subjectDer);
      assert.deepEqual(info.spki, csr.spkiDer);
      assert.deepEqual(info.issuerDer, issuer.subjectDer);
      assert.deepEqual(info.aki, issuer.ski);
    });
  }
});
