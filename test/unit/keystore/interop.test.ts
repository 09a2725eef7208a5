/**
 * Keys made by another tool: OpenSC's pkcs11-tool writes Ed25519 CKA_EC_PARAMS as the
 * PrintableString "edwards25519" (our key generation uses the OID), so this is where the
 * PrintableString form is read end to end. Also unit checks of the SPKI building blocks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { AppError } from '../../../src/errors';
import { openPkcs11KeyStore } from '../../../src/keystore';
import { ED25519_PRINTABLE, isEd25519Params, OID } from '../../../src/keystore/pkcs11/key-algorithms';
import { rsaSpki, unwrapEcPoint } from '../../../src/keystore/pkcs11/public-key';
import { createSoftHsmToken } from '../../helpers/softhsm';

function hasPkcs11Tool(): boolean {
  try {
    execFileSync('pkcs11-tool', ['--help'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== 'ENOENT';
  }
}

describe('keystore/pkcs11 public key building blocks', () => {
  it('builds the same RSA SPKI as node:crypto from modulus and exponent', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const spki = rsaSpki(Buffer.from(jwk.n!, 'base64url'), Buffer.from(jwk.e!, 'base64url'));
    assert.deepEqual(spki, publicKey.export({ format: 'der', type: 'spki' }));
  });

  it('unwraps an OCTET STRING-wrapped EC point and passes a bare one through', () => {
    const point = Buffer.concat([Buffer.from([0x04]), Buffer.alloc(64, 7)]);
    assert.deepEqual(unwrapEcPoint(Buffer.concat([Buffer.from([0x04, 0x41]), point]), 65), point);
    assert.deepEqual(unwrapEcPoint(point, 65), point);
    const ed = Buffer.alloc(32, 9);
    assert.deepEqual(unwrapEcPoint(Buffer.concat([Buffer.from([0x04, 0x20]), ed]), 32), ed);
    assert.throws(() => unwrapEcPoint(Buffer.alloc(40), 32), (e) => e instanceof AppError);
  });

  it('recognises both Ed25519 CKA_EC_PARAMS forms', () => {
    assert.ok(isEd25519Params(OID.ed25519));
    assert.ok(isEd25519Params(ED25519_PRINTABLE));
    assert.ok(!isEd25519Params(OID.prime256v1));
  });
});

describe('keystore/pkcs11 keys made by pkcs11-tool', function () {
  this.timeout(60_000);
  const token = createSoftHsmToken();

  before(function () {
    if (!hasPkcs11Tool()) this.skip();
    const base = ['--module', token.module, '--token-label', token.label, '--login', '--pin', token.pin, '--keypairgen'];
    const env = { ...process.env, SOFTHSM2_CONF: token.conf };
    execFileSync('pkcs11-tool', [...base, '--key-type', 'EC:edwards25519', '--label', 'tool-ed', '--id', '0a0b'], { env, stdio: 'ignore' });
    execFileSync('pkcs11-tool', [...base, '--key-type', 'EC:prime256v1', '--label', 'tool-ec', '--id', '0c0d'], { env, stdio: 'ignore' });
  });

  it('opens and signs with them (Ed25519 with PrintableString params, P-256)', async () => {
    const ks = await openPkcs11KeyStore({ module: token.module, tokenLabel: token.label, pin: token.pin });
    try {
      const ed = await ks.openSigner('pkcs11:object=tool-ed');
      assert.equal(ed.keyAlgorithm, 'ED25519');
      assert.equal(ed.uri, `pkcs11:token=${token.label};object=tool-ed;id=%0A%0B`);
      const edKey = createPublicKey({ key: ed.spki, format: 'der', type: 'spki' });
      assert.ok(verify(null, Buffer.from('hello'), edKey, await ed.sign(Buffer.from('hello'))));

      const ec = await ks.openSigner('pkcs11:id=%0c%0d');
      assert.equal(ec.keyAlgorithm, 'EC_prime256v1');
      const ecKey = { key: ec.spki, format: 'der' as const, type: 'spki' as const, dsaEncoding: 'der' as const };
      assert.ok(verify('sha256', Buffer.from('hello'), ecKey, await ec.sign(Buffer.from('hello'))));
    } finally {
      await ks.close();
    }
  });
});
