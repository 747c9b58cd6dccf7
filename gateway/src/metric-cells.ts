import type { Metric } from "prom-client";

// The gateway's per-request metrics, stored in cells found by two map lookups instead of
// prom-client's per-call label validation, label-hash string and bucket search. They still belong
// to a prom-client Registry, which formats them: `get()` and `getForPromString()` hand it the very
// structures prom-client's Counter and Histogram hand it, in the same order (the first label set
// seen first), so `/metrics` reads byte for byte the same (metric-cells.test.ts holds them
// together). prom-client was about 2 % of the gateway's CPU per request.

/** Label values as the metric takes them; every label must be given. */
type Labels<L extends string> = Record<L, string | number>;

interface Cell<L extends string> {
  labels: Labels<L>;
  value: number;
}

/** Finds the cell of a label set: a map per label, in the order of `labelNames`. */
class CellIndex<L extends string, C> {
  readonly #labelNames: readonly L[];
  readonly #root = new Map<string | number, unknown>();
  /** Cells in the order their label sets were first seen, as prom-client lists them. */
  readonly cells: C[] = [];

  constructor(labelNames: readonly L[]) {
    this.#labelNames = labelNames;
  }

  get(labels: Labels<L>, create: (labels: Labels<L>) => C): C {
    const names = this.#labelNames;
    let map = this.#root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const key = labels[names[i] as L];
      let next = map.get(key) as Map<string | number, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        map.set(key, next);
      }
      map = next;
    }
    const key = labels[names[last] as L];
    let cell = map.get(key) as C | undefined;
    if (cell === undefined) {
      const copy = {} as Labels<L>;
      for (const name of names) copy[name] = labels[name];
      cell = create(copy);
      map.set(key, cell);
      this.cells.push(cell);
    }
    return cell;
  }

  clear(): void {
    this.#root.clear();
    this.cells.length = 0;
  }
}

/** One sample as prom-client's metrics give them to the Registry. */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  metricName?: string;
  /** null on buckets, undefined on _sum and _count, as prom-client has it without exemplars. */
  exemplar?: null | undefined;
}

/** A metric's samples as prom-client's `get()` returns them (MetricObjectWithValues). */
interface Exposition {
  name: string;
  help: string;
  type: "counter" | "histogram";
  values: Sample[];
  aggregator: "sum";
}

/** What a Registry needs of a metric it formats (prom-client's `Metric` shape). */
export interface CellMetric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "histogram";
  readonly aggregator: "sum";
  get(): Promise<Exposition>;
  reset(): void;
}

/** A counter with a fixed set of labels: prom-client's Counter exposition, cheaper to increment. */
export class CellCounter<L extends string> implements CellMetric {
  readonly name: string;
  readonly help: string;
  readonly type = "counter";
  readonly aggregator = "sum";
  readonly #index: CellIndex<L, Cell<L>>;

  constructor(options: { name: string; help: string; labelNames: readonly L[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#index = new CellIndex(options.labelNames);
  }

  /** Adds `value` (1) to the label set's count. */
  inc(labels: Labels<L>, value = 1): void {
    this.#index.get(labels, newCounterCell).value += value;
  }

  async get(): Promise<Exposition> {
    return {
      help: this.help,
      name: this.name,
      type: this.type,
      values: this.#index.cells.map((c) => ({ value: c.value, labels: c.labels })),
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    this.#index.clear();
  }
}

const newCounterCell = <L extends string>(labels: Labels<L>): Cell<L> => ({ labels, value: 0 });

interface HistogramCell<L extends string> {
  labels: Labels<L>;
  /** Observations per bucket, not cumulative; the last counts those above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** A histogram with a fixed set of labels: prom-client's Histogram exposition. */
export class CellHistogram<L extends string> implements CellMetric {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #buckets: readonly number[];
  readonly #index: CellIndex<L, HistogramCell<L>>;
  readonly #newCell: (labels: Labels<L>) => HistogramCell<L>;

  constructor(options: {
    name: string;
    help: string;
    labelNames: readonly L[];
    buckets: readonly number[];
  }) {
    this.name = options.name;
    this.help = options.help;
    this.#buckets = [...options.buckets].sort((a, b) => a - b);
    this.#index = new CellIndex(options.labelNames);
    const slots = this.#buckets.length + 1;
    this.#newCell = (labels) => ({ labels, counts: new Array(slots).fill(0), sum: 0, count: 0 });
  }

  /** Records one observation of `value` (as prom-client: bucket `le` is the first bound >= value). */
  observe(labels: Labels<L>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const cell = this.#index.get(labels, this.#newCell);
    const buckets = this.#buckets;
    let i = 0;
    while (i < buckets.length && value > (buckets[i] as number)) i++;
    (cell.counts as number[])[i] = (cell.counts[i] as number) + 1;
    cell.sum += value;
    cell.count += 1;
  }

  /** The values as prom-client's Histogram gives them to the text format (labels kept apart). */
  async getForPromString(): Promise<Exposition> {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const cell of this.#index.cells) {
      let cumulative = 0;
      this.#buckets.forEach((bound, i) => {
        cumulative += cell.counts[i] as number;
        values.push(pair({ le: bound }, cumulative, bucketName, cell.labels, null));
      });
      values.push(
        pair({ le: "+Inf" }, cell.count, bucketName, cell.labels, null),
        pair({}, cell.sum, `${this.name}_sum`, cell.labels),
        pair({}, cell.count, `${this.name}_count`, cell.labels),
      );
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  /** The values as prom-client's Histogram gives them to JSON (labels merged). */
  async get(): Promise<Exposition> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return data;
  }

  reset(): void {
    this.#index.clear();
  }
}

function pair(
  labels: Record<string, string | number>,
  value: number,
  metricName: string,
  sharedLabels: Record<string, string | number>,
  exemplar: null | undefined = undefined,
): Sample {
  return { labels, sharedLabels, value, metricName, exemplar };
}

/** A cell metric as the Registry's `registerMetric` takes it. */
export function asRegistryMetric(metric: CellMetric): Metric {
  return metric as unknown as Metric;
}
