import { AppError } from '../errors';
import type { RequestValidators } from '../api/openapi';
import { parseRfc3339, toIssue, type Issue } from '../api/validation-issues';

/**
 * Contract row 4: the compiled schemas judge path params, query and body; date fields must also be
 * RFC 3339. All issues are reported at once as a 422 whose `message` is the issue array.
 */
export function validateRequest<T>(
  v: RequestValidators,
  params: unknown,
  body: unknown,
  dateFields: string[],
  query: Record<string, unknown> = {},
): { body: T; dates: Record<string, Date | undefined>; query: Record<string, unknown> } {
  const issues: Issue[] = [];
  if (!v.params(params)) issues.push(...(v.params.errors ?? []).map((e) => toIssue(e, params)));
  if (!v.query(query)) issues.push(...(v.query.errors ?? []).map((e) => toIssue(e, query)));
  if (v.body && !v.body(body)) issues.push(...(v.body.errors ?? []).map((e) => toIssue(e, body)));
  const dates: Record<string, Date | undefined> = {};
  for (const field of dateFields) {
    const path = field.split('.');
    const value = path.reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), body);
    if (typeof value !== 'string') continue;
    dates[field] = parseRfc3339(value);
    if (!dates[field]) issues.push({ code: 'invalid_string', path, message: 'Invalid date format' });
  }
  if (issues.length) throw new AppError('ValidationFailure', 'Request validation failed', issues);
  return { body: body as T, dates, query };
}
