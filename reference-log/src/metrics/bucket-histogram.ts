/**
 * A histogram for durations observed many times a second (every HTTP answer),
 * registered in a prom-client {@link Registry} and exported exactly as a
 * prom-client `Histogram` with the same observations would be.
 *
 * Why not prom-client's own: its `observe` checks the label names, builds a
 * hash string of the label values and finds the bucket by a number-keyed
 * property on every call. On the log's get-tree-head that was ≈ 10 % of the
 * answer rate (A/B of two primaries, docs/benchmarks.md, issue 13 target 4).
 * Here each label set is a {@link HistogramSeries} found once; an observation
 * is a loop over the bucket bounds and three additions. prom-client still
 * does the exposition (the registry reads `get`/`getForPromString`).
 */
import type { Metric, Registry } from 'prom-client';

/** Options of a {@link BucketHistogram}, as prom-client's `Histogram` takes them. */
export interface BucketHistogramConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Upper bounds, increasing (`le`); `+Inf` is implied. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

/** One label set of a {@link BucketHistogram}. */
export interface HistogramSeries {
  /** Count one observation (a finite number) in the first bucket whose bound is ≥ it, and in the sum and count. */
  observe(value: number): void;
}

/** An exported sample, in the shape prom-client's registry formats. */
interface Sample {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar?: null;
}

class Series implements HistogramSeries {
  /** Per bucket, not cumulative; observations above the last bound are only in `count`. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram: value is not a finite number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** See the module comment. */
export class BucketHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly L[];
  private readonly bounds: Float64Array;
  /** By the label values joined with NUL (never in a label value we set). */
  private series = new Map<string, Series>();

  constructor(config: BucketHistogramConfig<L>) {
    const { buckets } = config;
    if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new RangeError(`histogram ${config.name}: buckets must be finite and increasing`);
    }
    this.name = config.name;
    this.help = config.help;
    this.labelNames = [...config.labelNames];
    this.bounds = Float64Array.from(buckets);
    // The registry reads name, type, get/getForPromString and reset; nothing else of a Metric.
    for (const r of config.registers) r.registerMetric(this as unknown as Metric);
  }

  /** The series of `labels` (every label name, no other), found once and kept by the caller. */
  labels(labels: Record<L, string>): HistogramSeries {
    const names = Object.keys(labels);
    if (names.length !== this.labelNames.length || !this.labelNames.every((n) => typeof labels[n] === 'string')) {
      throw new Error(`histogram ${this.name}: labels must be exactly ${this.labelNames.join(', ')}, got ${names.join(', ')}`);
    }
    const key = this.labelNames.map((n) => labels[n]).join('\0');
    let s = this.series.get(key);
    if (s === undefined) {
      s = new Series(Object.fromEntries(this.labelNames.map((n) => [n, labels[n]])), this.bounds);
      this.series.set(key, s);
    }
    return s;
  }

  /** Observe once under `labels` (convenient off the hot path; hot paths keep their {@link labels} series). */
  observe(labels: Record<L, string>, value: number): void {
    this.labels(labels).observe(value);
  }

  /** Forget every series (prom-client's `resetMetrics`). */
  reset(): void {
    this.series = new Map();
  }

  /**
   * The samples with each series' labels apart (`sharedLabels`), as
   * prom-client's registry formats a histogram. Series never observed are
   * left out, as prom-client has none for them.
   */
  async getForPromString(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      if (s.count === 0) continue;
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels: s.labels, value: acc, metricName: bucketName, exemplar: null });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucketName, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The samples with each series' labels merged in (the registry's JSON form). */
  async get(): Promise<{ name: string; help: string; type: string; values: Omit<Sample, 'sharedLabels'>[]; aggregator: string }> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })),
    };
  }
}
