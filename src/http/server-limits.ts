import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import { newRequestId } from './request-id';

type Limits = Config['limits'];

/** Node's own refusals, answered in the seed's error shape instead of a bare status line. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'RequestHeaderFieldsTooLarge', 'Request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'RequestTimeout', 'Request was not received in time'],
  HPE_HEADERS_TIMEOUT: [408, 'RequestTimeout', 'Request headers were not received in time'],
};

/**
 * Bounds what one client can hold: head size (431), time to send the head and the whole
 * request (408; a slow-loris client is cut off and cannot starve the others), and open
 * connections. Malformed HTTP gets a 400 in the error shape; a broken socket is just closed.
 */
export function applyServerLimits(server: http.Server, limits: Limits, log: Logger): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = 5_000;
  capConnections(server, limits.maxConnections);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, error, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'BadRequest', 'Malformed HTTP request'];
    const reqId = newRequestId();
    log.info({ reqId, code: err.code, status }, 'client error');
    const body = JSON.stringify({ reqId, statusCode: status, message, error });
    socket.end(`HTTP/1.1 ${status} ${error}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
      + `X-Request-Id: ${reqId}\r\nConnection: close\r\n\r\n${body}`);
  });
}

/**
 * Closes connections beyond `max` at once. Counted here rather than with `server.maxConnections`,
 * which does not hold for cluster workers (their sockets arrive from the primary).
 */
function capConnections(server: http.Server, max: number): void {
  let open = 0;
  server.on('connection', (socket: Socket) => {
    if (open >= max) {
      socket.destroy();
      return;
    }
    open++;
    socket.once('close', () => open--);
  });
}

/**
 * Options for `http.createServer`, set at creation: the head size limit, and how often node
 * checks the header/request timeouts (default 30 s, which would let a slow client linger).
 */
export const serverOptions = (limits: Limits): http.ServerOptions => ({
  maxHeaderSize: limits.headerBytes,
  connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 2))),
});
