import type { HttpContext, HttpNext } from '../context';
import { TLSSocket } from 'node:tls';
import type { AuthDeps } from '../../auth/auth-deps';
import { authenticateClientCert } from '../../auth/client-cert';
import type { Claimed, Identity } from '../../auth/identity';
import { authenticateBearer } from '../../auth/tokens';
import { AppError } from '../../errors';

/**
 * A bearer token when the request carries an Authorization header; otherwise the client
 * certificate of an mTLS connection, mapped to an identity. A client certificate the TLS layer
 * could not verify (only possible with `tls.clientAuth: optional`) refuses the request outright.
 */
async function authenticate(deps: AuthDeps, ctx: HttpContext, claimed: Claimed): Promise<Identity> {
  const header = ctx.get('Authorization') || undefined;
  const socket = ctx.req.socket;
  const cert = socket instanceof TLSSocket ? socket.getPeerCertificate() : undefined;
  const presented = cert?.raw !== undefined;
  if (presented && !(socket as TLSSocket).authorized) throw new AppError('Unauthorized', 'Client certificate is not trusted');
  if (header || !presented) return authenticateBearer(deps, header, claimed);
  return authenticateClientCert(deps, cert!.raw, claimed);
}

/** Contract rows 1–2, before anything else about the request is looked at. */
export function authMiddleware(deps: AuthDeps) {
  return async (ctx: HttpContext, next: HttpNext): Promise<void> => {
    ctx.state.claimed = {};
    ctx.state.identity = await authenticate(deps, ctx, ctx.state.claimed);
    await next();
  };
}
