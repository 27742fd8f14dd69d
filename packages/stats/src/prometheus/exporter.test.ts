import { describe, expect, it } from "vitest";
import { INTERVAL_BUCKETS_NS, IPDV_BUCKETS_NS } from "./buckets.js";
import { boundStreams, StatsExporter } from "./exporter.js";
import { exactDist, parseExposition, sampleValue, snapshot, stream } from "./test-support.js";
import type { KernelCounters, StatsSnapshotLike } from "./types.js";

const INTERVALS = [1_000_000, 1_000_000, 2_000_000, 500_000, 30_000_000];
const IPDV = [-2_000_000, -3_000, 0, 5_000, 1_500_000_000];

function fixture(): StatsSnapshotLike {
  return snapshot(
    [
      stream({
        src: "10.0.0.3",
        cpu: 0,
        received: 107,
        duplicates: 2,
        missing: 5,
        reordered: 3,
        sent: 110,
        lost: 4,
        lastSeenMs: 10,
        interval: exactDist(INTERVALS),
        ipdv: exactDist(IPDV),
      }),
      stream({ src: "10.0.0.20", cpu: 1, received: 1, lastSeenMs: 20 }),
    ],
    { no_option: 7, not_ipv4: 9, streams_dropped: 11 },
  );
}

function exporterOf(snap: StatsSnapshotLike, kernel?: KernelCounters) {
  let snapshots = 0;
  const source = {
    snapshot: () => {
      snapshots++;
      return snap;
    },
    ...(kernel ? { kernelCounters: () => kernel } : {}),
  };
  const exporter = new StatsExporter(source, { defaultMetrics: false, cacheMs: 0 });
  return { exporter, snapshots: () => snapshots };
}

describe("StatsExporter", () => {
  it("exports each stream's counters with src and cpu labels", async () => {
    const { exporter } = exporterOf(fixture());
    const s = parseExposition(await exporter.render());
    const a = { src: "10.0.0.3", cpu: "0" };
    expect(sampleValue(s, "pval_stream_received_packets_total", a)).toBe(107);
    expect(sampleValue(s, "pval_stream_duplicate_packets_total", a)).toBe(2);
    expect(sampleValue(s, "pval_stream_missing_packets", a)).toBe(5);
    expect(sampleValue(s, "pval_stream_reordered_packets_total", a)).toBe(3);
    expect(sampleValue(s, "pval_stream_sent_packets_total", a)).toBe(110);
    expect(sampleValue(s, "pval_stream_lost_packets", a)).toBe(4);
    expect(sampleValue(s, "pval_stream_received_packets_total", { src: "10.0.0.20", cpu: "1" })).toBe(1);
    expect(sampleValue(s, "pval_no_option_packets_total", { direction: "rx" })).toBe(7);
    expect(sampleValue(s, "pval_not_ipv4_packets_total", { direction: "rx" })).toBe(9);
    // Without TX counts in the snapshot, no tx series and no bound counters.
    expect(() => sampleValue(s, "pval_no_option_packets_total", { direction: "tx" })).toThrow(/0 samples/);
    expect(s.some((x) => x.name === "pval_reorder_late_packets_total")).toBe(false);
    expect(s.some((x) => x.name === "pval_stream_join_late_packets_total")).toBe(false);
    expect(sampleValue(s, "pval_streams_dropped_total")).toBe(11);
    expect(sampleValue(s, "pval_streams")).toBe(2);
  });

  it("leaves out sent and lost without TX copies, and histograms without samples", async () => {
    const { exporter } = exporterOf(fixture());
    const s = parseExposition(await exporter.render());
    const b = { src: "10.0.0.20", cpu: "1" };
    expect(() => sampleValue(s, "pval_stream_sent_packets_total", b)).toThrow(/0 samples/);
    expect(() => sampleValue(s, "pval_stream_lost_packets", b)).toThrow(/0 samples/);
    expect(s.filter((x) => x.name.startsWith("pval_stream_interarrival") && x.labels.src === "10.0.0.20")).toEqual([]);
  });

  it("builds cumulative histogram buckets in seconds from the distribution", async () => {
    const { exporter } = exporterOf(fixture());
    const s = parseExposition(await exporter.render());
    const a = { src: "10.0.0.3", cpu: "0" };
    for (const le of INTERVAL_BUCKETS_NS) {
      const want = INTERVALS.filter((v) => v <= le).length;
      expect(sampleValue(s, "pval_stream_interarrival_seconds_bucket", { ...a, le: String(le / 1e9) })).toBe(want);
    }
    expect(sampleValue(s, "pval_stream_interarrival_seconds_bucket", { ...a, le: "+Inf" })).toBe(5);
    expect(sampleValue(s, "pval_stream_interarrival_seconds_count", a)).toBe(5);
    expect(sampleValue(s, "pval_stream_interarrival_seconds_sum", a)).toBeCloseTo(0.0345, 12);
    expect(sampleValue(s, "pval_stream_interarrival_min_seconds", a)).toBe(0.0005);
    expect(sampleValue(s, "pval_stream_interarrival_max_seconds", a)).toBe(0.03);
    // le labels are short decimals
    expect(s.some((x) => x.labels.le === "0.000001")).toBe(true);
  });

  it("exports negative IPDV in buckets below zero, with a negative minimum", async () => {
    const { exporter } = exporterOf(fixture());
    const s = parseExposition(await exporter.render());
    const a = { src: "10.0.0.3", cpu: "0" };
    for (const le of IPDV_BUCKETS_NS) {
      const want = IPDV.filter((v) => v <= le).length;
      expect(sampleValue(s, "pval_stream_ipdv_seconds_bucket", { ...a, le: String(le / 1e9) })).toBe(want);
    }
    expect(sampleValue(s, "pval_stream_ipdv_seconds_bucket", { ...a, le: "-0.001" })).toBe(1);
    expect(sampleValue(s, "pval_stream_ipdv_seconds_bucket", { ...a, le: "0" })).toBe(3);
    expect(sampleValue(s, "pval_stream_ipdv_seconds_bucket", { ...a, le: "+Inf" })).toBe(5);
    expect(sampleValue(s, "pval_stream_ipdv_min_seconds", a)).toBe(-0.002);
    expect(sampleValue(s, "pval_stream_ipdv_max_seconds", a)).toBe(1.5);
    expect(sampleValue(s, "pval_stream_ipdv_seconds_sum", a)).toBeCloseTo(1.498002, 9);
  });

  it("keeps buckets cumulative when the histogram's counts are not", async () => {
    const wobbly = { count: 4, sum: 4e6, min: 1e6, max: 1e6, cumulativeCount: (le: number) => (le === 2e6 ? 1 : 9) };
    const { exporter } = exporterOf(snapshot([stream({ src: "10.0.0.1", cpu: 0, interval: wobbly })]));
    const buckets = parseExposition(await exporter.render())
      .filter((x) => x.name === "pval_stream_interarrival_seconds_bucket")
      .map((x) => x.value);
    expect(buckets.length).toBe(INTERVAL_BUCKETS_NS.length + 1);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1] as number);
    expect(Math.max(...buckets)).toBe(4);
  });

  it("renders OpenMetrics: counters with _total samples, # EOF, no _sum for IPDV", async () => {
    const { exporter } = exporterOf(fixture());
    const text = await exporter.render("openmetrics");
    expect(text.endsWith("# EOF\n")).toBe(true);
    expect(text).toContain("# TYPE pval_stream_received_packets counter\n");
    const s = parseExposition(text);
    expect(sampleValue(s, "pval_stream_received_packets_total", { src: "10.0.0.3" })).toBe(107);
    expect(s.some((x) => x.name === "pval_stream_ipdv_seconds_sum")).toBe(false);
    expect(s.some((x) => x.name === "pval_stream_interarrival_seconds_sum")).toBe(true);
    // The text format is unaffected by an OpenMetrics rendering before it.
    const t = await exporter.render("prometheus");
    expect(t).toContain("# TYPE pval_stream_received_packets_total counter\n");
    expect(parseExposition(t).some((x) => x.name === "pval_stream_ipdv_seconds_sum")).toBe(true);
  });

  it("exports the analyser's bound counters when the snapshot has them", async () => {
    const snap = snapshot(
      [
        stream({
          src: "10.0.0.1",
          cpu: 0,
          beyond_window: 1,
          join_late: 2,
          join_forced: 3,
          rx_without_tx: 4,
          seq_out_of_range: 5,
        }),
      ],
      { tx_no_option: 6, tx_not_ipv4: 7, rx_reorder_late: 8, tx_reorder_late: 9 },
    );
    const s = parseExposition(await exporterOf(snap).exporter.render());
    const a = { src: "10.0.0.1", cpu: "0" };
    expect(sampleValue(s, "pval_stream_beyond_window_packets_total", a)).toBe(1);
    expect(sampleValue(s, "pval_stream_join_late_packets_total", a)).toBe(2);
    expect(sampleValue(s, "pval_stream_join_forced_total", a)).toBe(3);
    expect(sampleValue(s, "pval_stream_rx_without_tx_packets_total", a)).toBe(4);
    expect(sampleValue(s, "pval_stream_seq_out_of_range_packets_total", a)).toBe(5);
    expect(sampleValue(s, "pval_no_option_packets_total", { direction: "tx" })).toBe(6);
    expect(sampleValue(s, "pval_not_ipv4_packets_total", { direction: "tx" })).toBe(7);
    expect(sampleValue(s, "pval_reorder_late_packets_total", { direction: "rx" })).toBe(8);
    expect(sampleValue(s, "pval_reorder_late_packets_total", { direction: "tx" })).toBe(9);
  });

  it("labels streams with their link when the snapshot has one", async () => {
    const { exporter } = exporterOf(snapshot([stream({ src: "10.0.0.1", cpu: 2, link: "pval0", received: 3 })]));
    const s = parseExposition(await exporter.render());
    expect(sampleValue(s, "pval_stream_received_packets_total", { link: "pval0", src: "10.0.0.1", cpu: "2" })).toBe(3);
  });

  it("exports link and ring counters from the kernel", async () => {
    const kernel: KernelCounters = {
      links: [
        { link: "pval0", ipoptInserted: 100n, ipoptSkipped: 2n, txCopyDrops: 3n, rxCopyDrops: 4n, txtstampBusy: 5n },
      ],
      rings: [
        {
          link: "pval0",
          device: "/dev/pval/pval0-rx-cpu-1",
          direction: "rx",
          cpu: 1,
          copied: 50,
          droppedFull: 6,
          droppedNomem: 1,
          read: 44,
        },
      ],
      failedLinks: ["pval1"],
    };
    const { exporter } = exporterOf(snapshot([]), kernel);
    let s = parseExposition(await exporter.render());
    expect(sampleValue(s, "pval_link_ipopt_inserted_packets_total", { link: "pval0" })).toBe(100);
    expect(sampleValue(s, "pval_link_ipopt_skipped_packets_total", { link: "pval0" })).toBe(2);
    expect(sampleValue(s, "pval_link_tx_copy_drops_total", { link: "pval0" })).toBe(3);
    expect(sampleValue(s, "pval_link_rx_copy_drops_total", { link: "pval0" })).toBe(4);
    expect(sampleValue(s, "pval_link_txtstamp_busy_total", { link: "pval0" })).toBe(5);
    const dev = { device: "/dev/pval/pval0-rx-cpu-1", direction: "rx", cpu: "1", link: "pval0" };
    expect(sampleValue(s, "pval_ring_copied_slots_total", dev)).toBe(50);
    expect(sampleValue(s, "pval_ring_read_slots_total", dev)).toBe(44);
    expect(sampleValue(s, "pval_ring_dropped_slots_total", { ...dev, reason: "full" })).toBe(6);
    expect(sampleValue(s, "pval_ring_dropped_slots_total", { ...dev, reason: "nomem" })).toBe(1);
    expect(sampleValue(s, "pval_link_stats_read_errors_total", { link: "pval1" })).toBe(1);
    s = parseExposition(await exporter.render());
    expect(sampleValue(s, "pval_link_stats_read_errors_total", { link: "pval1" })).toBe(2);
  });
});

describe("stream limit", () => {
  const many = Array.from({ length: 10 }, (_, i) =>
    stream({ src: `10.0.0.${i + 1}`, cpu: 0, lastSeenMs: (i * 7) % 10 }),
  );

  it("keeps the most recently seen streams, in the snapshot's order", () => {
    const kept = boundStreams(many, 3);
    expect(kept.map((s) => s.lastSeenMs)).toEqual([7, 8, 9]);
    expect(kept.map((s) => s.src)).toEqual(["10.0.0.2", "10.0.0.5", "10.0.0.8"]);
    expect(boundStreams(many, 10)).toBe(many);
  });

  it("exports at most maxStreams streams and says how many it holds", async () => {
    const exporter = new StatsExporter(
      { snapshot: () => snapshot(many, { streams_dropped: 4 }) },
      { defaultMetrics: false, maxStreams: 3 },
    );
    const s = parseExposition(await exporter.render());
    expect(s.filter((x) => x.name === "pval_stream_received_packets_total").map((x) => x.labels.src)).toEqual([
      "10.0.0.2",
      "10.0.0.5",
      "10.0.0.8",
    ]);
    expect(sampleValue(s, "pval_streams")).toBe(10);
    expect(sampleValue(s, "pval_streams_exported")).toBe(3);
    expect(sampleValue(s, "pval_streams_limit")).toBe(3);
    expect(sampleValue(s, "pval_streams_dropped_total")).toBe(4);
  });

  it("refuses a limit that is not a positive integer", () => {
    const source = { snapshot: () => snapshot([]) };
    expect(() => new StatsExporter(source, { maxStreams: 0 })).toThrow(/maxStreams must be a positive integer/);
    expect(() => new StatsExporter(source, { maxStreams: 1.5 })).toThrow(/positive integer/);
    expect(() => new StatsExporter(source, { intervalBucketsNs: [2, 1] })).toThrow(/must increase/);
  });
});

describe("rendering cost", () => {
  it("renders once per cache period, however many scrapes", async () => {
    let clock = 0;
    let snapshots = 0;
    const exporter = new StatsExporter(
      {
        snapshot: () => {
          snapshots++;
          return fixture();
        },
      },
      { defaultMetrics: false, cacheMs: 1000, now: () => clock },
    );
    const texts = await Promise.all(Array.from({ length: 20 }, () => exporter.render()));
    expect(snapshots).toBe(1);
    expect(new Set(texts).size).toBe(1);
    clock = 999;
    await exporter.render();
    expect(snapshots).toBe(1);
    clock = 1000;
    await exporter.render();
    expect(snapshots).toBe(2);
    await exporter.render("openmetrics");
    expect(snapshots).toBe(3);
  });

  it("shares a rendering in progress even without a cache", async () => {
    const { exporter, snapshots } = exporterOf(fixture());
    const [a, b] = await Promise.all([exporter.render(), exporter.render()]);
    expect(a).toBe(b);
    expect(snapshots()).toBe(1);
    await exporter.render();
    expect(snapshots()).toBe(2);
  });

  it("gives the event loop a turn between metric families", async () => {
    const { exporter } = exporterOf(fixture());
    let turns = 0;
    let rendering = true;
    const tick = (): void => {
      turns++;
      if (rendering) setImmediate(tick);
    };
    setImmediate(tick);
    await exporter.render();
    rendering = false;
    expect(turns).toBeGreaterThan(20);
  });

  it("does not keep a failed rendering", async () => {
    let fail = true;
    const exporter = new StatsExporter(
      {
        snapshot: () => {
          if (fail) throw new Error("no snapshot");
          return fixture();
        },
      },
      { defaultMetrics: false, cacheMs: 60_000 },
    );
    await expect(exporter.render()).rejects.toThrow("no snapshot");
    fail = false;
    expect(await exporter.render()).toContain("pval_stream_received_packets_total");
  });

  it("includes prom-client's process metrics by default", async () => {
    const exporter = new StatsExporter({ snapshot: fixture });
    const s = parseExposition(await exporter.render());
    expect(s.some((x) => x.name === "process_cpu_seconds_total")).toBe(true);
    expect(s.some((x) => x.name === "nodejs_heap_size_used_bytes")).toBe(true);
  });
});
