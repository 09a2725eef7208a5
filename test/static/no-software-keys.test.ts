/**
 * "There is no software key path": nothing in src/ creates, imports or signs with a private key
 * outside the HSM, and nothing outside src/keystore touches graphene. A textual check, so it
 * catches a regression before any behaviour test would.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../src');

function files(dir: string, ext = /\.(ts|js|sh|json|yaml)$/): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name), ext) : ext.test(e.name) ? [path.join(dir, e.name)] : []);
}

describe('no software key path in src/', () => {
  const sources = files(SRC, /\.ts$/).map((f) => ({ f: path.relative(SRC, f), text: fs.readFileSync(f, 'utf8') }));

  it('never signs, generates or imports a private key in software', () => {
    // KeyStore.generateKeyInToken and C_GenerateKeyPair (in the token) are fine; node:crypto's are not.
    const forbidden = new RegExp([
      String.raw`\b(createSign|generateKeyPairSync|createPrivateKey|generateKeySync)\(`,
      String.raw`crypto\.(generateKeyPair|sign)\(`,
      String.raw`subtle\.(sign|generateKey|importKey)\(`,
      String.raw`import\s*{[^}]*\b(generateKeyPair|sign)\b[^}]*}\s*from\s*'(node:)?crypto'`,
      String.raw`\bsign\(\s*(null|'sha|"sha)`,
    ].join('|'));
    const hits = sources.filter((s) => forbidden.test(s.text)).map((s) => s.f);
    assert.deepEqual(hits, []);
  });

  it('only src/keystore imports graphene-pk11 or pkcs11js', () => {
    const hits = sources.filter((s) => /from '(graphene-pk11|pkcs11js)'|require\('(graphene-pk11|pkcs11js)'\)/.test(s.text))
      .map((s) => s.f).filter((f) => !f.startsWith('keystore/'));
    assert.deepEqual(hits, []);
  });

  it('nothing reads ../shared: the project carries its own copy of the seed document', () => {
    const root = path.resolve(SRC, '..');
    const seed = fs.readFileSync(path.join(SRC, 'api', 'sign-intermediate.openapi.yaml'), 'utf8');
    assert.match(seed, /^openapi: 3\.0\.3\n/);
    for (const dir of ['src', 'scripts', 'test', 'config']) {
      for (const f of files(path.join(root, dir))) {
        if (f === __filename) continue;
        assert.ok(!/\.\.\/shared\b/.test(fs.readFileSync(f, 'utf8')), `${f} refers to ../shared`);
      }
    }
  });
});
