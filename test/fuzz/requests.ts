/**
 * Generated HTTP requests over the whole surface: schema-near and random JSON bodies, CSRs
 * mutated at the DER level and as PEM, random headers, methods, paths, caIds, content types
 * and encodings. Pure data: `send.ts` puts them on the wire.
 */
import fc from 'fast-check';
import { toPem } from '../../src/ca/pem';
import { derMutation, walk } from './der-mutations';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface FuzzContext {
  caId: string;
  /** A token with only sign-intermediate and read on the fuzzed CA: no keys get generated. */
  token: string;
  csrDer: Buffer;
  /** A certificate id or serial to aim revoke/show at. */
  serial: string;
}

const API = '/api/v1/cert-manager';
const LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST', 'CERTIFICATE', 'X509 CRL', 'PRIVATE KEY', ''];

const pemOf = (der: Buffer) => fc.tuple(fc.constantFrom(...LABELS), fc.constantFrom('\n', '\r\n', ''), fc.boolean(), fc.string())
  .map(([label, nl, wrap, around]) => {
    const b64 = der.toString('base64');
    const body = wrap ? b64.replace(/(.{64})/g, `$1${nl}`) : b64;
    return `${around}-----BEGIN ${label}-----${nl}${body}${nl}-----END ${label}-----${nl}${around}`;
  });

function csrArb(ctx: FuzzContext): fc.Arbitrary<string> {
  const valid = toPem(ctx.csrDer, 'CERTIFICATE REQUEST');
  const mutated = derMutation(ctx.csrDer, walk(ctx.csrDer)).chain(pemOf);
  const mangled = fc.tuple(fc.nat(valid.length), fc.string({ maxLength: 8 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i));
  return fc.oneof({ weight: 1, arbitrary: fc.constant(valid) }, { weight: 6, arbitrary: mutated },
    { weight: 2, arbitrary: mangled }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) });
}

const dateArb = fc.oneof(
  fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: 1, max: 3 * 365 }).map((days) => new Date(Date.now() + days * 86400_000).toISOString()),
  fc.constantFrom('2026-02-30T00:00:00Z', 'tomorrow', '', '2030-01-01', '2030-01-01T00:00:00+25:00', '9999999-01-01T00:00:00Z'),
  fc.string(),
);

const anyValue = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.nat()), fc.object());

/** Bodies near the sign-intermediate schema: some fields right, some wrong, some extra. */
function signBodyArb(ctx: FuzzContext): fc.Arbitrary<unknown> {
  return fc.record({
    csr: fc.oneof({ weight: 8, arbitrary: csrArb(ctx) }, { weight: 1, arbitrary: anyValue }),
    notBefore: fc.oneof(dateArb, anyValue),
    notAfter: fc.oneof({ weight: 5, arbitrary: dateArb }, { weight: 1, arbitrary: anyValue }),
    maxPathLength: fc.oneof(fc.integer({ min: -3, max: 4 }), fc.double(), anyValue),
    extra: anyValue,
  }, { requiredKeys: [] });
}

function pathArb(ctx: FuzzContext): fc.Arbitrary<string> {
  const caId = fc.oneof({ weight: 6, arbitrary: fc.constant(ctx.caId) }, { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.constantFrom('..', '%00', '%2e%2e', 'a'.repeat(5000), '%ff%fe', '😀') });
  const id = fc.oneof(fc.constant(ctx.serial), fc.string(), fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex')));
  return fc.oneof(
    { weight: 8, arbitrary: caId.map((c) => `${API}/ca/internal/${c}/sign-intermediate`) },
    { weight: 3, arbitrary: fc.tuple(caId, fc.constantFrom('', '/csr', '/certificate', '/renew', '/import-certificate', '/ca-certificates',
      '/crls', '/issued-certificates?limit=-1', '/issued-certificates?offset=abc', '/certificates/x/der')).map(([c, s]) => `${API}/ca/internal/${c}${s}`) },
    { weight: 2, arbitrary: id.map((i) => `${API}/certificates/${i}/revoke`) },
    { weight: 1, arbitrary: id.map((i) => `${API}/certificates/${i}`) },
    { weight: 1, arbitrary: fc.constantFrom(`${API}/ca/internal`, `${API}/crl/${ctx.caId}/der`, '/api/docs/openapi.json', '/healthz') },
    { weight: 1, arbitrary: fc.webPath() },
  );
}

function headersArb(ctx: FuzzContext): fc.Arbitrary<Record<string, string>> {
  const auth = fc.oneof(
    { weight: 8, arbitrary: fc.constant(`Bearer ${ctx.token}`) },
    { weight: 1, arbitrary: fc.string().map((s) => `Bearer ${s}`) },
    { weight: 1, arbitrary: fc.constantFrom('', 'Basic Zm9vOmJhcg==', `bearer  ${ctx.token}`, `Bearer ${ctx.token}x`, 'Bearer hsmca_') },
  );
  const type = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') },
    { weight: 2, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/json; charset=utf-16',
      'multipart/form-data', 'application/x-www-form-urlencoded', '') }, { weight: 1, arbitrary: fc.string() });
  return fc.record({
    authorization: auth,
    'content-type': type,
    'content-encoding': fc.constantFrom('gzip', 'identity', 'br', 'x'),
    'x-forwarded-for': fc.ipV4(),
    'x-request-id': fc.string(),
    accept: fc.constantFrom('application/json', '*/*', 'text/html'),
  }, { requiredKeys: ['authorization', 'content-type'] });
}

const bodyText = (ctx: FuzzContext): fc.Arbitrary<string | undefined> => fc.oneof(
  { weight: 10, arbitrary: signBodyArb(ctx).map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, '', '{}', 'null', '[]', '{"revocationReason":"KEY_COMPROMISE"}') },
);

/** A well-formed sign-intermediate request whose CSR and numbers vary: it reaches the CSR checks. */
const wellFormedArb = (ctx: FuzzContext): fc.Arbitrary<FuzzRequest> => fc.record({
  csr: fc.oneof({ weight: 1, arbitrary: fc.constant(toPem(ctx.csrDer, 'CERTIFICATE REQUEST')) }, { weight: 1, arbitrary: csrArb(ctx) }),
  notAfter: fc.integer({ min: -10, max: 4000 }).map((days) => new Date(Date.now() + days * 86400_000).toISOString()),
  maxPathLength: fc.integer({ min: -1, max: 3 }),
}).map((body) => ({
  method: 'POST',
  path: `${API}/ca/internal/${ctx.caId}/sign-intermediate`,
  headers: { authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json' },
  body: JSON.stringify(body),
}));

export const requestArb = (ctx: FuzzContext): fc.Arbitrary<FuzzRequest> =>
  fc.oneof({ weight: 1, arbitrary: wellFormedArb(ctx) }, { weight: 3, arbitrary: anyRequestArb(ctx) });

const anyRequestArb = (ctx: FuzzContext): fc.Arbitrary<FuzzRequest> => fc.record({
  method: fc.oneof({ weight: 8, arbitrary: fc.constant('POST') },
    { weight: 3, arbitrary: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE') }),
  path: pathArb(ctx),
  headers: headersArb(ctx),
  body: bodyText(ctx),
});
