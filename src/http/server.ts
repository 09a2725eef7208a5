import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { Config } from '../config/config';
import { ConfigError } from '../config/load';
import type { Reloadable } from '../lifecycle/reloadables';

type Tls = NonNullable<Config['tls']>;

function read(setting: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ConfigError([`${setting}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
}

const clientAuthOf = (tls: Tls): 'none' | 'optional' | 'require' =>
  tls.clientAuth ?? (tls.clientCaFile ? 'require' : 'none');

/** What lives in the secure context (certificate, key, client CAs): read afresh from the files. */
function secureContextOptions(tls: Tls): SecureContextOptions {
  const options: SecureContextOptions = {
    cert: read('tls.certFile', tls.certFile),
    key: read('tls.keyFile', tls.keyFile),
    minVersion: 'TLSv1.2',
  };
  if (clientAuthOf(tls) !== 'none' && tls.clientCaFile) options.ca = read('tls.clientCaFile', tls.clientCaFile);
  return options;
}

/**
 * HTTP, or HTTPS only when `tls` is configured. With a client CA, `require` makes the handshake
 * itself refuse a client without a certificate that chains to it; `optional` asks for one and
 * leaves the verdict (`socket.authorized`) to the auth middleware, so bearer tokens still work.
 */
export function createServer(
  listener: http.RequestListener, tls: Config['tls'], base: http.ServerOptions = {},
): { server: http.Server; scheme: 'http' | 'https' } {
  if (!tls) return { server: http.createServer(base, listener), scheme: 'http' };
  const clientAuth = clientAuthOf(tls);
  const options: https.ServerOptions = { ...base, ...secureContextOptions(tls) };
  if (clientAuth !== 'none' && tls.clientCaFile) Object.assign(options, { requestCert: true, rejectUnauthorized: clientAuth === 'require' });
  try {
    return { server: https.createServer(options, listener), scheme: 'https' };
  } catch (e) {
    throw new ConfigError([`tls: ${(e as Error).message}`]);
  }
}

/**
 * SIGHUP: the certificate, key and client CAs are read again from the configured files and
 * swapped in with `setSecureContext`. Handshakes from then on use them; open connections keep
 * theirs, so no request fails. Whether HTTPS is on and how client certificates are asked for
 * are fixed when the server starts: changing them needs a restart.
 */
export function tlsReloadable(server: https.Server, initial: Tls): Reloadable {
  let current = initial;
  return {
    name: 'TLS certificate',
    keys: ['tls'],
    reload(next) {
      if (!next.tls) throw new Error('tls removed: serving plain HTTP needs a restart');
      if (clientAuthOf(next.tls) !== clientAuthOf(current)) throw new Error('tls.clientAuth changed: that needs a restart');
      try {
        server.setSecureContext(secureContextOptions(next.tls));
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        throw new ConfigError([`tls: ${(e as Error).message}`]);
      }
      current = next.tls;
    },
  };
}
