/**
 * A response body already written as JSON. The sign route's answer carries the issuing CA's PEM
 * twice (as the chain's first certificate and as `issuingCaCertificate`): the same ~2 KB for
 * every request under that CA, which `JSON.stringify` escaped afresh each time (1.5 % of a P-256
 * request's instructions). Their JSON strings are kept instead.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Per-CA PEMs: a few per CA. Cleared when full rather than tracked: a miss only costs a stringify. */
const MAX_REMEMBERED = 256;
const remembered = new Map<string, string>();

function rememberedJson(value: string): string {
  let json = remembered.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(value, json);
  }
  return json;
}

/**
 * `JSON.stringify(value)` for an object of strings, keys in its own order; the values under
 * `repeated` (the same for many requests, public) are escaped once and remembered.
 */
export function jsonText<T extends { [K in keyof T]: string }>(value: T, repeated: ReadonlyArray<keyof T & string>): JsonText {
  const members: string[] = [];
  const once: ReadonlyArray<string> = repeated;
  for (const [key, v] of Object.entries(value) as Array<[string, string | undefined]>) {
    if (v === undefined) continue; // as JSON.stringify does
    members.push(`${JSON.stringify(key)}:${once.includes(key) ? rememberedJson(v) : JSON.stringify(v)}`);
  }
  return new JsonText(`{${members.join(',')}}`);
}
