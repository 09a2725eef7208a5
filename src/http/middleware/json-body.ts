import { isUtf8 } from 'node:buffer';
import type { HttpContext } from '../context';
import { AppError, badRequest } from '../../errors';

/**
 * Reads a JSON request body with a hard size limit. Contract row 3: not JSON or a wrong
 * content type is a 400; over the limit is a 413, found from Content-Length before reading
 * when the client declares it, and while streaming otherwise.
 */
export async function readJsonBody(ctx: HttpContext, limit: number): Promise<unknown> {
  const type = ctx.get('Content-Type');
  if (!/^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(type)) {
    // Never echo the header back: error messages carry nothing the client sent but names.
    throw badRequest('Content-Type must be application/json');
  }
  const encoding = ctx.get('Content-Encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') throw badRequest('Content-Encoding is not supported');
  const declared = Number(ctx.get('Content-Length') || NaN);
  if (declared > limit) throw tooLarge(limit);
  const text = await readText(ctx, limit);
  if (nestingDepth(text) > MAX_DEPTH) throw badRequest(`JSON nesting is deeper than ${MAX_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('Body is not valid JSON');
  }
}

/** No request of ours nests deeper than 3; 32 leaves room and keeps deep input off the parser. */
export const MAX_DEPTH = 32;

/** Deepest `[`/`{` nesting outside strings, found in one pass before the parser sees the text. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

const tooLarge = (limit: number): AppError =>
  new AppError('PayloadTooLarge', `Request body is larger than ${limit} bytes`);

function readText(ctx: HttpContext, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const req = ctx.req;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume(); // drain so the 413 can be written on a healthy connection
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      // Reject bytes that are not UTF-8 instead of silently replacing them.
      if (!isUtf8(buf)) reject(badRequest('Body is not valid UTF-8'));
      else resolve(buf.toString('utf8'));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(badRequest(`Body could not be read: ${e.message.slice(0, 100)}`));
    };
    const cleanup = (): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
