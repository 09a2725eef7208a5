import http from 'node:http';
import type { FuzzRequest } from './requests';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * Puts a generated request on the wire with node:http (fetch would normalise or refuse much of
 * what an attacker sends). Resolves undefined when node itself refuses to send the request
 * (an invalid header character, say): that case never reaches the daemon.
 */
export function send(base: URL, agent: http.Agent, req: FuzzRequest, timeoutMs = 30_000): Promise<RawResponse | undefined> {
  return new Promise((resolve, reject) => {
    let r: http.ClientRequest;
    try {
      r = http.request({
        host: base.hostname, port: base.port, method: req.method, path: req.path, agent, headers: {
          ...req.headers, ...(req.body !== undefined ? { 'content-length': Buffer.byteLength(req.body) } : {}),
        },
      });
    } catch {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => r.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      }).on('error', reject);
    });
    r.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    r.end(req.body);
  });
}
