import { derOf, opensslCsr } from '../helpers/csr-factory';
import type { FuzzContext } from './requests';

/**
 * The fuzzed world: `token` may only sign-intermediate and read on one CA (so no request can
 * generate keys, delete or revoke), a valid CSR to mutate, and one issued certificate.
 */
export async function fuzzContext(
  caId: string, token: string, sign: (token: string, csr: string) => Promise<string>,
): Promise<FuzzContext> {
  const { csr } = opensslCsr('P-256', { subject: '/O=fuzz/CN=Fuzz Intermediate' });
  return { caId, token, csrDer: derOf(csr), serial: await sign(token, csr) };
}
