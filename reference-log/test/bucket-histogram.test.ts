import { Histogram, Registry, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from '../src/metrics/bucket-histogram.js';

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = ['endpoint', 'method', 'status'] as const;
type L = (typeof LABELS)[number];

/** The same observations into prom-client's Histogram and ours, each in a registry of its own with a default label. */
function pair(contentType: RegistryContentType = Registry.PROMETHEUS_CONTENT_TYPE): {
  theirs: Registry;
  ours: Registry;
  observe: (labels: Record<L, string>, v: number) => void;
  histogram: BucketHistogram<L>;
} {
  const theirs = new Registry();
  const ours = new Registry();
  for (const r of [theirs, ours]) {
    // prom-client's types fix a registry's content type, and a histogram's registers to the Prometheus type; the runtime switches it.
    (r as unknown as Registry<RegistryContentType>).setContentType(contentType);
    r.setDefaultLabels({ role: 'primary' });
  }
  const reference = new Histogram({ name: 'd_seconds', help: 'Durations.', labelNames: LABELS, buckets: BUCKETS, registers: [theirs] });
  const histogram = new BucketHistogram({ name: 'd_seconds', help: 'Durations.', labelNames: LABELS, buckets: BUCKETS, registers: [ours] });
  return {
    theirs,
    ours,
    histogram,
    observe(labels, v) {
      reference.labels(labels).observe(v);
      histogram.labels(labels).observe(v);
    },
  };
}

const gth = { endpoint: '/get-tree-head', method: 'GET', status: '200' };
const bad = { endpoint: '/add-leaf', method: 'POST', status: '400' };

describe('BucketHistogram', () => {
  it("exports exactly what prom-client's Histogram exports for the same observations (text, OpenMetrics and JSON)", async () => {
    for (const contentType of [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE]) {
      const { theirs, ours, observe } = pair(contentType);
      // On each bound, between bounds, below the first, above the last, zero, and sums that do not round nicely.
      const values = [...BUCKETS, 0, 0.0004, 0.003, 0.07, 0.3333, 7, 10.0001, 1e6, 0.1 + 0.2];
      values.forEach((v, i) => observe(i % 3 === 0 ? bad : gth, v));
      for (let i = 0; i < 1000; i++) observe(gth, (i % 97) / 3000);
      const text = await ours.metrics();
      expect(text).toBe(await theirs.metrics());
      expect(text.endsWith('# EOF\n')).toBe(contentType === Registry.OPENMETRICS_CONTENT_TYPE);
      expect(text).toContain('d_seconds_bucket{le="0.005",role="primary",endpoint="/get-tree-head",method="GET",status="200"}');
      expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    }
  });

  it('leaves out a series with no observation, and reset forgets every series', async () => {
    const { theirs, ours, observe, histogram } = pair();
    histogram.labels(bad);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    observe(gth, 0.002);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).not.toContain('/add-leaf');
    theirs.resetMetrics();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).not.toContain('d_seconds_count');
    observe(bad, 0.2);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('keeps one series per label set, whichever handle observes', async () => {
    const { ours, histogram } = pair();
    const a = histogram.labels({ ...gth });
    const b = histogram.labels({ status: '200', method: 'GET', endpoint: '/get-tree-head' });
    a.observe(0.5);
    b.observe(0.5);
    histogram.observe(gth, 20);
    const text = await ours.metrics();
    expect(text).toContain('d_seconds_count{role="primary",endpoint="/get-tree-head",method="GET",status="200"} 3');
    expect(text).toContain('d_seconds_bucket{le="0.5",role="primary",endpoint="/get-tree-head",method="GET",status="200"} 2');
    expect(text).toContain('d_seconds_bucket{le="+Inf",role="primary",endpoint="/get-tree-head",method="GET",status="200"} 3');
    expect(text).toContain('d_seconds_sum{role="primary",endpoint="/get-tree-head",method="GET",status="200"} 21');
  });

  it('refuses what prom-client refuses: a value that is not finite, missing or unknown labels', () => {
    const { histogram } = pair();
    const s = histogram.labels(gth);
    for (const v of [Number.NaN, Infinity, -Infinity]) expect(() => s.observe(v)).toThrow(TypeError);
    expect(() => histogram.labels({ endpoint: '/x', method: 'GET' } as Record<L, string>)).toThrow(/labels must be exactly endpoint, method, status/);
    expect(() => histogram.labels({ ...gth, extra: 'x' } as Record<L, string>)).toThrow(/labels must be exactly/);
    expect(() => new BucketHistogram({ name: 'x', help: 'x', labelNames: [], buckets: [1, 1], registers: [] })).toThrow(RangeError);
    expect(() => new BucketHistogram({ name: 'x', help: 'x', labelNames: [], buckets: [Number.NaN], registers: [] })).toThrow(RangeError);
  });
});
