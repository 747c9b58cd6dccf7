// The cell metrics (src/metric-cells.ts) must read exactly like prom-client's own Counter and
// Histogram: the same observations go to both, each in its own registry, and the text and JSON
// the registries produce are compared.
import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { asRegistryMetric, CellCounter, CellHistogram } from "../src/metric-cells.ts";
import { requestDurationBuckets } from "../src/metrics.ts";

const labelSets = [
  { route: "/", method: "GET" },
  { route: "/v1/greetings/{id}", method: "GET" },
  { route: "/", method: "HEAD" },
  { route: '/v1/"odd"\\route\nwith newline', method: "POST" },
  { route: "(unmatched)", method: "" },
];
const values = [0.0001, 0.001, 0.0012, 0.005, 0.0049, 0.25, 1, 9.99, 10, 12, 0];

function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const counter = {
    theirs: new Counter({
      name: "t_requests_total",
      help: "Requests.",
      labelNames: ["route", "method", "status"],
      registers: [theirs],
    }),
    ours: new CellCounter({
      name: "t_requests_total",
      help: "Requests.",
      labelNames: ["route", "method", "status"],
    }),
  };
  const histogram = {
    theirs: new Histogram({
      name: "t_duration_seconds",
      help: "Durations.",
      labelNames: ["route", "method"],
      buckets: [...requestDurationBuckets],
      registers: [theirs],
    }),
    ours: new CellHistogram({
      name: "t_duration_seconds",
      help: "Durations.",
      labelNames: ["route", "method"],
      buckets: requestDurationBuckets,
    }),
  };
  ours.registerMetric(asRegistryMetric(counter.ours));
  ours.registerMetric(asRegistryMetric(histogram.ours));
  return { theirs, ours, counter, histogram };
}

describe("cell metrics", () => {
  it("expose what prom-client's Counter and Histogram expose for the same observations", async () => {
    const m = both();
    expect(await m.ours.metrics()).toBe(await m.theirs.metrics());
    // Label sets interleaved, so first-seen order matters; values on, between and past bounds.
    for (let i = 0; i < 200; i++) {
      const labels = labelSets[(i * 7) % labelSets.length] as (typeof labelSets)[number];
      const value = values[i % values.length] as number;
      const status = [200, 404, 503][i % 3] as number;
      m.counter.theirs.inc({ ...labels, status });
      m.counter.ours.inc({ ...labels, status });
      m.histogram.theirs.observe(labels, value);
      m.histogram.ours.observe(labels, value);
    }
    m.counter.theirs.inc({ route: "/", method: "GET", status: 200 }, 5);
    m.counter.ours.inc({ route: "/", method: "GET", status: 200 }, 5);
    const text = await m.ours.metrics();
    expect(text).toBe(await m.theirs.metrics());
    expect(text).toContain('t_duration_seconds_bucket{le="0.005",route="/",method="GET"}');
    expect(await m.ours.getMetricsAsJSON()).toEqual(await m.theirs.getMetricsAsJSON());
  });

  it("start over on reset, and refuse a value that is not a number", async () => {
    const m = both();
    m.histogram.ours.observe({ route: "/", method: "GET" }, 0.1);
    m.counter.ours.inc({ route: "/", method: "GET", status: 200 });
    m.ours.resetMetrics();
    expect(await m.ours.metrics()).toBe(await m.theirs.metrics());
    expect(() => m.histogram.ours.observe({ route: "/", method: "GET" }, Number.NaN)).toThrow(
      TypeError,
    );
  });
});
