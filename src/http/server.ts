import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Config } from '../config/config';
import { ConfigError } from '../config/load';

function read(setting: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ConfigError([`${setting}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
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
  const clientAuth = tls.clientAuth ?? (tls.clientCaFile ? 'require' : 'none');
  const options: https.ServerOptions = {
    ...base,
    cert: read('tls.certFile', tls.certFile),
    key: read('tls.keyFile', tls.keyFile),
    minVersion: 'TLSv1.2',
  };
  if (clientAuth !== 'none' && tls.clientCaFile) {
    Object.assign(options, { ca: read('tls.clientCaFile', tls.clientCaFile), requestCert: true, rejectUnauthorized: clientAuth === 'require' });
  }
  try {
    return { server: https.createServer(options, listener), scheme: 'https' };
  } catch (e) {
    throw new ConfigError([`tls: ${(e as Error).message}`]);
  }
}
