// The Prometheus view of an analysis. Every figure comes from the analyser's
// snapshot (and the kernel's counters) taken when a scrape asks for it: the
// exporter does no work per packet. The text is rendered by prom-client from
// metric objects whose values are computed at collection time, at most once
// per `cacheMs` for each format; concurrent scrapes share one rendering.
//
// Rendering yields to the event loop between metric families (one
// setImmediate each), so a scrape of many streams never holds the loop for
// more than one family's worth of lines and the rings keep being read.

import { collectDefaultMetrics, type Metric, Registry, type RegistryContentType } from "prom-client";
import { checkBuckets, INTERVAL_BUCKETS_NS, IPDV_BUCKETS_NS } from "./buckets.js";
import type { KernelCounters, SnapshotDist, SnapshotStream, StatsSnapshotLike, StatsSource } from "./types.js";

export const DEFAULT_MAX_STREAMS = 1000;
export const DEFAULT_CACHE_MS = 1000;

export type MetricsFormat = "prometheus" | "openmetrics";

export const CONTENT_TYPES: Readonly<Record<MetricsFormat, RegistryContentType>> = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

export interface ExporterOptions {
  /** At most this many streams are exported, the most recently seen first (default 1000). */
  maxStreams?: number;
  /** A rendering is reused for this long, ms (default 1000; 0: render every scrape). */
  cacheMs?: number;
  /** prom-client's process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
  /** Histogram bounds in ns. */
  intervalBucketsNs?: readonly number[];
  ipdvBucketsNs?: readonly number[];
  /** Clock for the cache, ms (tests). */
  now?: () => number;
}

type Labels = Record<string, string | number>;
interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

/** What one rendering reads: taken once, shared by every family. */
interface Frame {
  snapshot: StatsSnapshotLike;
  streams: readonly SnapshotStream[];
  kernel: KernelCounters;
  openMetrics: boolean;
}

const MISNAMED_DEFAULT_METRICS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

const NO_KERNEL: KernelCounters = { links: [], rings: [] };

/**
 * A metric family computed from the current frame. It has the shape prom-client's
 * Registry collects (`name`, `help`, `type`, `get()`); prom-client formats it.
 */
class FrameMetric {
  readonly aggregator = "sum";
  constructor(
    public name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
    private readonly gate: Gate,
    private readonly read: (frame: Frame) => Sample[],
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const frame = await this.gate.turn();
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.read(frame) };
  }

  reset(): void {}
}

/** Hands the frame to the families one event-loop turn after another. */
class Gate {
  frame: Frame | null = null;
  #chain: Promise<void> = Promise.resolve();

  turn(): Promise<Frame> {
    const next = this.#chain.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.#chain = next;
    return next.then(() => {
      if (this.frame === null) throw new Error("metric collected outside a rendering");
      return this.frame;
    });
  }

  reset(): void {
    this.#chain = Promise.resolve();
  }
}

function streamLabels(s: SnapshotStream): Labels {
  return s.link === undefined ? { src: s.src, cpu: s.cpu } : { link: s.link, src: s.src, cpu: s.cpu };
}

function big(v: bigint | number): number {
  return typeof v === "bigint" ? Number(v) : v;
}

/** The `le` label of a bound in ns, in seconds. */
function leLabel(ns: number): string {
  return String(ns / 1e9);
}

/** Samples of one histogram family, from each stream's distribution. */
function histogramSamples(
  base: string,
  streams: readonly SnapshotStream[],
  pick: (s: SnapshotStream) => SnapshotDist | null,
  boundsNs: readonly number[],
  withSum: boolean,
): Sample[] {
  const les = boundsNs.map(leLabel);
  const out: Sample[] = [];
  for (const s of streams) {
    const d = pick(s);
    if (d === null || d.count === 0) continue;
    const labels = streamLabels(s);
    let previous = 0;
    for (let i = 0; i < boundsNs.length; i++) {
      // The histogram's relative error could in principle make a count step back
      // or pass the total; buckets are cumulative, so keep them ordered.
      const c = Math.min(d.count, Math.max(previous, d.cumulativeCount(boundsNs[i] as number)));
      previous = c;
      out.push({ metricName: `${base}_bucket`, labels: { ...labels, le: les[i] as string }, value: c });
    }
    out.push({ metricName: `${base}_bucket`, labels: { ...labels, le: "+Inf" }, value: d.count });
    if (withSum) out.push({ metricName: `${base}_sum`, labels, value: d.sum / 1e9 });
    out.push({ metricName: `${base}_count`, labels, value: d.count });
  }
  return out;
}

function perStream(pick: (s: SnapshotStream) => number | null): (f: Frame) => Sample[] {
  return (f) => {
    const out: Sample[] = [];
    for (const s of f.streams) {
      const v = pick(s);
      if (v !== null) out.push({ labels: streamLabels(s), value: v });
    }
    return out;
  };
}

function distField(pick: (s: SnapshotStream) => SnapshotDist | null, field: "min" | "max"): (f: Frame) => Sample[] {
  return perStream((s) => {
    const d = pick(s);
    return d === null || d.count === 0 ? null : d[field] / 1e9;
  });
}

/** The streams to export: all of them, or the `max` most recently seen. */
export function boundStreams(streams: readonly SnapshotStream[], max: number): readonly SnapshotStream[] {
  if (streams.length <= max) return streams;
  const kept = new Set([...streams].sort((a, b) => b.lastSeenMs - a.lastSeenMs).slice(0, max));
  // Keep the analyser's (report) order among the survivors.
  return streams.filter((s) => kept.has(s));
}

type FamilySpec = [name: string, type: FrameMetric["type"], help: string, read: (f: Frame) => Sample[]];

/** Per-stream figures, straight from the snapshot (null: not exported for that stream). */
const STREAM_FIGURES: [string, FrameMetric["type"], string, (s: SnapshotStream) => number | null][] = [
  [
    "pval_stream_received_packets_total",
    "counter",
    "Packets of the stream received, duplicates included.",
    (s) => s.received,
  ],
  [
    "pval_stream_duplicate_packets_total",
    "counter",
    "Later copies of a sequence number already received.",
    (s) => s.duplicates,
  ],
  [
    "pval_stream_missing_packets",
    "gauge",
    "Sequence numbers between the first and the last seen that were not received.",
    (s) => s.missing,
  ],
  [
    "pval_stream_reordered_packets_total",
    "counter",
    "Packets with a sequence number below the largest received before them (RFC 4737).",
    (s) => s.reordered,
  ],
  [
    "pval_stream_sent_packets_total",
    "counter",
    "Packets of the stream sent (TX copies), to destinations the receiver saw.",
    (s) => s.sent,
  ],
  ["pval_stream_lost_packets", "gauge", "Packets sent (TX copies) and never received.", (s) => s.lost],
  [
    "pval_stream_beyond_window_packets_total",
    "counter",
    "Packets older than the reordering window: counted unique and reordered, with no extent.",
    (s) => s.beyond_window ?? null,
  ],
  [
    "pval_stream_join_late_packets_total",
    "counter",
    "Packets (either side) that came after their seq had settled.",
    (s) => s.join_late ?? null,
  ],
  [
    "pval_stream_join_forced_total",
    "counter",
    "Seqs settled early because the stream's join table was full.",
    (s) => s.join_forced ?? null,
  ],
  [
    "pval_stream_rx_without_tx_packets_total",
    "counter",
    "Received packets with no TX copy.",
    (s) => s.rx_without_tx ?? null,
  ],
  [
    "pval_stream_seq_out_of_range_packets_total",
    "counter",
    "Packets whose seq was too far from the stream's first to analyse.",
    (s) => s.seq_out_of_range ?? null,
  ],
];

/** One sample per side present: the RX figure, and the TX one when the snapshot has it. */
function bySide(rx: number, tx: number | undefined): Sample[] {
  const out: Sample[] = [{ labels: { direction: "rx" }, value: rx }];
  if (tx !== undefined) out.push({ labels: { direction: "tx" }, value: tx });
  return out;
}

type LinkFigure = (l: KernelCounters["links"][number]) => bigint | number | undefined;

/** The module's counters of a link (IFLA_PVAL_STATS). */
const LINK_FIGURES: [string, string, LinkFigure][] = [
  ["pval_link_ipopt_inserted_packets_total", "Packets the link stamped with option 222.", (l) => l.ipoptInserted],
  [
    "pval_link_ipopt_skipped_packets_total",
    "IPv4 packets the link sent without the option (no room).",
    (l) => l.ipoptSkipped,
  ],
  ["pval_link_tx_copy_drops_total", "TX copies the link could not make.", (l) => l.txCopyDrops],
  ["pval_link_rx_copy_drops_total", "RX copies the link could not make.", (l) => l.rxCopyDrops],
  ["pval_link_txtstamp_busy_total", "TX timestamp requests refused because one was pending.", (l) => l.txtstampBusy],
];

function ringSamples(pick: (r: KernelCounters["rings"][number]) => number, extra: Labels = {}): (f: Frame) => Sample[] {
  return (f) =>
    f.kernel.rings.map((r) => ({
      labels: { link: r.link, device: r.device, direction: r.direction, cpu: r.cpu, ...extra },
      value: pick(r),
    }));
}

interface RenderState {
  at: number;
  text: Promise<string>;
  pending: boolean;
}

export class StatsExporter {
  readonly maxStreams: number;
  readonly cacheMs: number;
  readonly #source: StatsSource;
  readonly #options: ExporterOptions;
  readonly #now: () => number;
  readonly #registries = new Map<MetricsFormat, { registry: Registry<RegistryContentType>; gate: Gate }>();
  readonly #cache = new Map<MetricsFormat, RenderState>();
  /** Failed reads of a link's counters since the start, by link. */
  readonly #linkReadErrors = new Map<string, number>();
  #renders = 0;
  #lastRenderSeconds = 0;

  constructor(source: StatsSource, options: ExporterOptions = {}) {
    const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    if (!Number.isSafeInteger(maxStreams) || maxStreams < 1) {
      throw new RangeError(`maxStreams must be a positive integer, not ${maxStreams}`);
    }
    const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    if (!(cacheMs >= 0)) throw new RangeError(`cacheMs must be >= 0, not ${cacheMs}`);
    checkBuckets("interval buckets", options.intervalBucketsNs ?? INTERVAL_BUCKETS_NS);
    checkBuckets("ipdv buckets", options.ipdvBucketsNs ?? IPDV_BUCKETS_NS);
    this.maxStreams = maxStreams;
    this.cacheMs = cacheMs;
    this.#source = source;
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The exposition text in `format`, rendered at most once per cacheMs. */
  render(format: MetricsFormat = "prometheus"): Promise<string> {
    const now = this.#now();
    const cached = this.#cache.get(format);
    // Scrapes during a rendering share it, so one registry never renders twice at once.
    if (cached && (cached.pending || now - cached.at < this.cacheMs)) return cached.text;
    const state: RenderState = { at: now, text: this.#render(format), pending: true };
    this.#cache.set(format, state);
    state.text.then(
      () => {
        state.pending = false;
      },
      () => {
        // A failed rendering is not kept: the next scrape tries again.
        if (this.#cache.get(format) === state) this.#cache.delete(format);
      },
    );
    return state.text;
  }

  async #render(format: MetricsFormat): Promise<string> {
    const started = performance.now();
    const { registry, gate } = this.#registry(format);
    const snapshot = this.#source.snapshot();
    const kernel = (await this.#source.kernelCounters?.()) ?? NO_KERNEL;
    for (const name of kernel.failedLinks ?? []) {
      this.#linkReadErrors.set(name, (this.#linkReadErrors.get(name) ?? 0) + 1);
    }
    this.#renders++;
    gate.reset();
    gate.frame = {
      snapshot,
      streams: boundStreams(snapshot.streams, this.maxStreams),
      kernel,
      openMetrics: format === "openmetrics",
    };
    try {
      return await registry.metrics();
    } finally {
      gate.frame = null;
      this.#lastRenderSeconds = (performance.now() - started) / 1e3;
    }
  }

  #registry(format: MetricsFormat): { registry: Registry<RegistryContentType>; gate: Gate } {
    let entry = this.#registries.get(format);
    if (!entry) {
      // One registry per format: prom-client renames counters in place when it
      // renders OpenMetrics, so the two must not share metric objects.
      const registry = new Registry<RegistryContentType>();
      registry.setContentType(CONTENT_TYPES[format]);
      const gate = new Gate();
      for (const m of this.#families(gate)) registry.registerMetric(m as unknown as Metric);
      if (this.#options.defaultMetrics ?? true) {
        collectDefaultMetrics({ register: registry });
        // Gauges that prom-client names with _total, against the naming rules
        // (`promtool check metrics` flags them).
        for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
      }
      entry = { registry, gate };
      this.#registries.set(format, entry);
    }
    return entry;
  }

  #families(gate: Gate): FrameMetric[] {
    const intervalNs = this.#options.intervalBucketsNs ?? INTERVAL_BUCKETS_NS;
    const ipdvNs = this.#options.ipdvBucketsNs ?? IPDV_BUCKETS_NS;
    const one = (value: number): Sample[] => [{ labels: {}, value }];
    const interval = (s: SnapshotStream) => s.interval;
    const ipdv = (s: SnapshotStream) => s.ipdv;
    const families: FamilySpec[] = [
      ...STREAM_FIGURES.map(([name, type, help, pick]): FamilySpec => [name, type, help, perStream(pick)]),
      [
        "pval_stream_interarrival_seconds",
        "histogram",
        "Receive-time differences of consecutive packets of the stream, in arrival order.",
        (f) => histogramSamples("pval_stream_interarrival_seconds", f.streams, interval, intervalNs, true),
      ],
      [
        "pval_stream_interarrival_min_seconds",
        "gauge",
        "Smallest inter-arrival interval of the stream.",
        distField(interval, "min"),
      ],
      [
        "pval_stream_interarrival_max_seconds",
        "gauge",
        "Largest inter-arrival interval of the stream.",
        distField(interval, "max"),
      ],
      [
        "pval_stream_ipdv_seconds",
        "histogram",
        "IP packet delay variation of consecutive packets in sending order (RFC 3393); may be negative.",
        // OpenMetrics: a histogram with negative buckets has no _sum.
        (f) => histogramSamples("pval_stream_ipdv_seconds", f.streams, ipdv, ipdvNs, !f.openMetrics),
      ],
      ["pval_stream_ipdv_min_seconds", "gauge", "Smallest IPDV of the stream.", distField(ipdv, "min")],
      ["pval_stream_ipdv_max_seconds", "gauge", "Largest IPDV of the stream.", distField(ipdv, "max")],
      ["pval_streams", "gauge", "Streams the analyser holds.", (f) => one(f.snapshot.streams.length)],
      ["pval_streams_exported", "gauge", "Streams exported (the most recently seen).", (f) => one(f.streams.length)],
      ["pval_streams_limit", "gauge", "Most streams exported (--max-streams).", () => one(this.maxStreams)],
      [
        "pval_streams_dropped_total",
        "counter",
        "Streams evicted, least recently seen first, to stay within the stream limit.",
        (f) => one(f.snapshot.streams_dropped),
      ],
      [
        "pval_no_option_packets_total",
        "counter",
        "IPv4 packets without a well-formed option 222, received (rx) and TX copies (tx).",
        (f) => bySide(f.snapshot.no_option, f.snapshot.tx_no_option),
      ],
      [
        "pval_not_ipv4_packets_total",
        "counter",
        "Frames that are not IPv4, received (rx) and TX copies (tx).",
        (f) => bySide(f.snapshot.not_ipv4, f.snapshot.tx_not_ipv4),
      ],
      [
        "pval_reorder_late_packets_total",
        "counter",
        "Packets later than the reorder horizon, handed on out of order.",
        (f) =>
          f.snapshot.rx_reorder_late === undefined
            ? []
            : bySide(f.snapshot.rx_reorder_late, f.snapshot.tx_reorder_late),
      ],
      ...LINK_FIGURES.map(
        ([name, help, pick]): FamilySpec => [
          name,
          "counter",
          help,
          (f) =>
            f.kernel.links.flatMap((l) => {
              const v = pick(l);
              return v === undefined ? [] : [{ labels: { link: l.link }, value: big(v) }];
            }),
        ],
      ),
      [
        "pval_link_stats_read_errors_total",
        "counter",
        "Scrapes at which the link's counters could not be read.",
        () => [...this.#linkReadErrors].map(([name, n]) => ({ labels: { link: name }, value: n })),
      ],
      [
        "pval_ring_copied_slots_total",
        "counter",
        "Slots written into the device's ring.",
        ringSamples((r) => r.copied),
      ],
      ["pval_ring_read_slots_total", "counter", "Slots read from the device's ring.", ringSamples((r) => r.read)],
      [
        "pval_ring_dropped_slots_total",
        "counter",
        "Copies the device's ring dropped, by reason.",
        (f) => [
          ...ringSamples((r) => r.droppedFull, { reason: "full" })(f),
          ...ringSamples((r) => r.droppedNomem, { reason: "nomem" })(f),
        ],
      ],
      [
        "pval_exporter_renders_total",
        "counter",
        "Renderings of the metrics (scrapes share one per cache period).",
        () => one(this.#renders),
      ],
      [
        "pval_exporter_render_seconds",
        "gauge",
        "Wall time of the previous rendering.",
        () => one(this.#lastRenderSeconds),
      ],
    ];
    return families.map(([name, type, help, read]) => new FrameMetric(name, help, type, gate, read));
  }
}
