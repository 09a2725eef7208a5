/**
 * `Date.prototype.toISOString`, without V8's printf-style date formatter: callgrind counts ~7k
 * instructions per call there (`FormatDate` → `StringStream`), 1.2 % of a P-256 issuance, which
 * formats six dates (`scripts/bench/instructions.ts`). Same output for the years 0–9999; any
 * other date, or an invalid one, is left to `toISOString` (which throws for an invalid one).
 */
const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

export function isoString(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return date.toISOString();
  const ms = date.getUTCMilliseconds();
  return `${year < 1000 ? String(year).padStart(4, '0') : year}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}`
    + `T${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`
    + `.${ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : ms}Z`;
}
