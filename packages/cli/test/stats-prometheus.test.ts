// `pval stats -r CAPTURE --listen` scraped by a real Prometheus server on
// loopback: the figures Prometheus stores equal those of `pval stats --json`
// for the same capture, and `promtool check metrics` passes on what it
// scraped. Needs Debian's prometheus package (CI installs it; without it the
// tests skip with a printed reason, and fail under CI).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type MetricsServer, StatsExporter, serveMetrics } from "@pval/stats/prometheus";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrometheusServer, prometheusSkipReason, type QueryResult } from "./prometheus-server.js";

const dashboardPath = fileURLToPath(new URL("../../stats/prometheus/pval-dashboard.json", import.meta.url));

function only(results: QueryResult[], what: string): number {
  if (results.length !== 1) throw new Error(`${what}: ${results.length} results`);
  return (results[0] as QueryResult).value;
}

/** A distribution with the given exact values (ns). */
function dist(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    sum: sorted.reduce((a, b) => a + b, 0),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    cumulativeCount: (le: number) => sorted.filter((v) => v <= le).length,
  };
}

describe.skipIf(prometheusSkipReason !== undefined)("Prometheus scraping the exporter", () => {
  let served: MetricsServer;
  let prom: PrometheusServer;
  const ipdv = [-3_000_000, -20_000, 0, 7_000, 2_000_000_000];

  beforeAll(async () => {
    const snap = {
      streams: [
        {
          src: "10.0.0.3",
          cpu: 0,
          received: 12,
          duplicates: 1,
          missing: 2,
          reordered: 3,
          sent: 14,
          lost: 2,
          lastSeenMs: 0,
          interval: dist([1_000, 250_000, 2_000_000]),
          ipdv: dist(ipdv),
        },
      ],
      no_option: 4,
      not_ipv4: 5,
      streams_dropped: 0,
    };
    served = await serveMetrics(new StatsExporter({ snapshot: () => snap }), { host: "127.0.0.1", port: 0 });
    prom = await PrometheusServer.start([served.address]);
    await prom.waitForScrapes();
  }, 90_000);

  afterAll(async () => {
    await prom?.stop();
    await served?.close();
  });

  it("scrapes OpenMetrics, negative IPDV buckets included", async () => {
    const [target] = await prom.targets();
    expect(target?.health).toBe("up");
    expect(only(await prom.query('pval_stream_lost_packets{src="10.0.0.3"}'), "lost")).toBe(2);
    expect(only(await prom.query('pval_stream_received_packets_total{src="10.0.0.3",cpu="0"}'), "received")).toBe(12);
    for (const [le, want] of [
      ["-0.001", 1],
      ["-0.00001", 2],
      ["0", 3],
      ["+Inf", 5],
    ] as const) {
      const q = `pval_stream_ipdv_seconds_bucket{src="10.0.0.3",le="${le}"}`;
      expect(only(await prom.query(q), q)).toBe(want);
    }
    expect(only(await prom.query("pval_stream_ipdv_min_seconds"), "ipdv min")).toBe(-0.003);
    // OpenMetrics histograms with negative buckets carry no _sum.
    expect(await prom.query("pval_stream_ipdv_seconds_sum")).toEqual([]);
    expect(only(await prom.query("pval_stream_interarrival_seconds_sum"), "sum")).toBeCloseTo(0.002251, 12);
  });

  it("every query of the dashboard runs", async () => {
    const dashboard = JSON.parse(readFileSync(dashboardPath, "utf8")) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(20);
    for (const e of exprs) {
      const q = e.replaceAll("$job", "pval").replaceAll("$src", ".*").replaceAll("$__rate_interval", "1m");
      await expect(prom.query(q), q).resolves.toBeInstanceOf(Array);
    }
  });

  it("promtool check metrics passes on what Prometheus scrapes", async () => {
    const text = await (await fetch(`http://${served.address}/metrics`)).text();
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });
});
