/**
 * Reading `/metrics` the way Prometheus does: through a parser of the text exposition format
 * (parse-prometheus-text-format), never by regular expressions over the text.
 *
 * That parser folds every series of a histogram into one (its `flattenMetrics` keys buckets by
 * `le` alone, dropping the other labels, `_count` and `_sum`). So the text is parsed twice: once
 * as served, which checks every line and the declared types; once with histograms declared
 * untyped, which keeps `<name>_count{labels}` as a series of its own to read counts from.
 */
import assert from 'node:assert/strict';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';

export interface Scrape {
  /** Families as served, by name (types checked by the parser). */
  families: Map<string, MetricFamily>;
  /** Every series by sample name, histograms split into `_bucket`, `_sum` and `_count`. */
  samples: Map<string, MetricFamily>;
}

/** Families by name; the untyped parse meets `_bucket`, `_sum`, `_count` once per series, so merge. */
function byName(families: MetricFamily[]): Map<string, MetricFamily> {
  const out = new Map<string, MetricFamily>();
  for (const f of families) {
    const seen = out.get(f.name);
    if (seen) seen.metrics.push(...f.metrics);
    else out.set(f.name, { ...f, metrics: [...f.metrics] });
  }
  return out;
}

/** Fetches and parses `/metrics`; fails on a wrong content type or a text that does not parse. */
export async function scrape(base: string): Promise<Scrape> {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const families = byName(parsePrometheusTextFormat(text));
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  return { families, samples: byName(parsePrometheusTextFormat(untyped)) };
}

const matches = (labels: Record<string, string> = {}, want: Record<string, string>): boolean =>
  Object.entries(want).every(([k, v]) => labels[k] === v);

/**
 * A counter's or gauge's value, or a histogram's observation count, summed over the series whose
 * labels include `labels`; 0 when there is no such series yet.
 */
export function valueOf(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const sampleName = s.families.get(name)?.type === 'HISTOGRAM' ? `${name}_count` : name;
  const family = s.samples.get(sampleName);
  if (!family) return 0;
  return family.metrics.filter((m) => matches(m.labels, labels)).reduce((sum, m) => sum + Number(m.value), 0);
}

/** The declared type of a metric family, e.g. 'COUNTER'. */
export const typeOf = (s: Scrape, name: string): string | undefined => s.families.get(name)?.type;
