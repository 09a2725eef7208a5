import type { ErrorObject } from 'ajv';

/**
 * A validation issue in the zod-like shape Infisical clients expect inside a 422's `message`:
 * `{code, path: [...], message}`.
 */
export interface Issue {
  code: string;
  path: (string | number)[];
  message: string;
}

const toPath = (instancePath: string): (string | number)[] =>
  instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Maps one ajv error to the issue a zod schema would have produced for the same input. */
export function toIssue(err: ErrorObject, root: unknown): Issue {
  const path = toPath(err.instancePath);
  switch (err.keyword) {
    case 'required':
      return { code: 'invalid_type', path: [...path, err.params.missingProperty], message: 'Required' };
    case 'additionalProperties':
      // The key's name is not echoed: a client that pastes a secret as a key must not see it in
      // an error body or a log. Nothing a client sent is repeated, except the caId of a 404.
      return { code: 'unrecognized_keys', path, message: 'Unrecognized key(s) in object' };
    case 'type':
      return { code: 'invalid_type', path, message: `Expected ${err.params.type}, received ${typeOf(valueAt(root, path))}` };
    case 'minimum':
      return { code: 'too_small', path, message: `Number must be greater than or equal to ${err.params.limit}` };
    case 'minLength':
      return { code: 'too_small', path, message: `String must contain at least ${err.params.limit} character(s)` };
    default:
      return { code: 'custom', path, message: err.message ?? 'Invalid input' };
  }
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let v = root;
  for (const key of path) v = (v as Record<string | number, unknown> | undefined)?.[key];
  return v;
}

/**
 * RFC 3339 date-time (the schema says "YYYY-MM-DDTHH:mm:ss.sssZ" in prose only): full date, `T`,
 * time with optional fraction, `Z` or an offset; and the calendar must exist (no 30 February).
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const calendar = new Date(Date.UTC(y, mo - 1, d));
  if (calendar.getUTCMonth() !== mo - 1 || calendar.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  const t = Date.parse(text.toUpperCase());
  return Number.isNaN(t) ? undefined : new Date(t);
}
