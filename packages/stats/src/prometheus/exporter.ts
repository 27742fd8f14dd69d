// The Prometheus view of an analysis. Every figure comes from the analyser's
// snapshot (and the kernel's counters) taken when a scrape asks for it: the
// exporter does no work per packet. prom-client formats the exposition text
// (its per-family formatter, fed our families' samples), at most once per
// `cacheMs` for each format, and never more often than keeps rendering under
// a tenth of the time (a rendering that took 300 ms is kept for 3 s);
// concurrent scrapes share one rendering, and its bytes (plain and gzip) are
// made once.
//
// Rendering gives the event loop a turn after every CHUNK samples, so a
// scrape of many streams never holds the loop for long and the rings keep
// being read.

import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { collectDefaultMetrics, type Metric, Registry, type RegistryContentType } from "prom-client";
import { checkBuckets, INTERVAL_BUCKETS_NS, IPDV_BUCKETS_NS } from "./buckets.js";
import type { KernelCounters, SnapshotDist, SnapshotStream, StatsSnapshotLike, StatsSource } from "./types.js";

export const DEFAULT_MAX_STREAMS = 1000;
export const DEFAULT_CACHE_MS = 1000;
/** A rendering is kept at least this many times as long as it took: rendering takes at most 1/RENDER_DUTY of the time. */
export const RENDER_DUTY = 10;

export type MetricsFormat = "prometheus" | "openmetrics";

export const CONTENT_TYPES: Readonly<Record<MetricsFormat, RegistryContentType>> = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

export interface ExporterOptions {
  /** At most this many streams are exported, the most recently seen first (default 1000). */
  maxStreams?: number;
  /**
   * A rendering is reused for this long, ms (default 1000), or for RENDER_DUTY
   * times as long as it took to make, if that is longer; 0: every scrape renders.
   */
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

/** Samples per formatting step; the event loop gets a turn between steps. */
const CHUNK = 2000;

const gzipAsync = promisify(gzip);

/** A metric family computed from the current frame. */
interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  read: (frame: Frame) => Sample[];
}

/** What prom-client's formatter reads of a metric (`Registry.getMetricsAsString`). */
interface Collected {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: Sample[];
}

/** The next turn of the event loop. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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

type FamilySpec = [name: string, type: Family["type"], help: string, read: (f: Frame) => Sample[]];

/** Per-stream figures, straight from the snapshot (null: not exported for that stream). */
const STREAM_FIGURES: [string, Family["type"], string, (s: SnapshotStream) => number | null][] = [
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
  /** Wall time the rendering took, ms (by the cache's clock). */
  tookMs: number;
  /** The text's bytes, and gzipped, made on first use. */
  body?: Promise<Buffer>;
  gzipped?: Promise<Buffer>;
}

/** A family's samples as prom-client's formatter reads them; OpenMetrics names a counter without _total. */
function collected(family: Family, values: Sample[], openMetrics: boolean): Formattable {
  const name = openMetrics && family.type === "counter" ? family.name.replace(/_total$/, "") : family.name;
  return { name, get: async () => ({ name, help: family.help, type: family.type, aggregator: "sum", values }) };
}

interface Formattable {
  name: string;
  get(): Promise<Collected>;
}

/**
 * The exposition text of one family, by prom-client: `registry` is a formatter
 * that holds just this family while it is formatted.
 */
async function formatOne(registry: Registry<RegistryContentType>, metric: Formattable): Promise<string> {
  registry.registerMetric(metric as unknown as Metric);
  try {
    return await registry.getSingleMetricAsString(metric.name);
  } finally {
    registry.removeSingleMetric(metric.name);
  }
}

export class StatsExporter {
  readonly maxStreams: number;
  readonly cacheMs: number;
  readonly #source: StatsSource;
  readonly #options: ExporterOptions;
  readonly #now: () => number;
  readonly #formatters = new Map<MetricsFormat, Registry<RegistryContentType>>();
  /** prom-client's process and Node.js metrics; null without them. */
  readonly #process: Registry | null;
  readonly #families: Family[];
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
    this.#families = this.#familyList();
    this.#process = null;
    if (options.defaultMetrics ?? true) {
      this.#process = new Registry();
      collectDefaultMetrics({ register: this.#process });
      // Gauges that prom-client names with _total, against the naming rules
      // (`promtool check metrics` flags them).
      for (const name of MISNAMED_DEFAULT_METRICS) this.#process.removeSingleMetric(name);
    }
  }

  /** The exposition text in `format`, rendered at most once per cacheMs. */
  render(format: MetricsFormat = "prometheus"): Promise<string> {
    return this.#state(format).text;
  }

  /** The text's bytes, gzipped when asked; made once per rendering, however many scrapes share it. */
  body(format: MetricsFormat = "prometheus", gzipped = false): Promise<Buffer> {
    const state = this.#state(format);
    state.body ??= state.text.then((text) => Buffer.from(text));
    if (!gzipped) return state.body;
    // zlib works on libuv's thread pool, off the event loop.
    state.gzipped ??= state.body.then((bytes) => gzipAsync(bytes));
    return state.gzipped;
  }

  #state(format: MetricsFormat): RenderState {
    const now = this.#now();
    const cached = this.#cache.get(format);
    // Scrapes during a rendering share it, so a format never renders twice at once.
    const keep = this.cacheMs === 0 ? 0 : Math.max(this.cacheMs, RENDER_DUTY * (cached?.tookMs ?? 0));
    if (cached && (cached.pending || now - cached.at < keep)) {
      return cached;
    }
    const state: RenderState = { at: now, text: this.#render(format), pending: true, tookMs: 0 };
    this.#cache.set(format, state);
    state.text.then(
      () => {
        state.pending = false;
        state.tookMs = this.#now() - now;
      },
      () => {
        // A failed rendering is not kept: the next scrape tries again.
        if (this.#cache.get(format) === state) this.#cache.delete(format);
      },
    );
    return state;
  }

  async #render(format: MetricsFormat): Promise<string> {
    const started = performance.now();
    const openMetrics = format === "openmetrics";
    const snapshot = this.#source.snapshot();
    const kernel = (await this.#source.kernelCounters?.()) ?? NO_KERNEL;
    for (const name of kernel.failedLinks ?? []) {
      this.#linkReadErrors.set(name, (this.#linkReadErrors.get(name) ?? 0) + 1);
    }
    this.#renders++;
    const frame: Frame = { snapshot, streams: boundStreams(snapshot.streams, this.maxStreams), kernel, openMetrics };
    const formatter = this.#formatter(format);
    const parts: string[] = [];
    try {
      for (const family of this.#families) {
        await turn();
        const values = family.read(frame);
        const steps: string[] = [];
        for (let at = 0; at === 0 || at < values.length; at += CHUNK) {
          if (at > 0) await turn();
          const text = await formatOne(formatter, collected(family, values.slice(at, at + CHUNK), openMetrics));
          // Every step after the family's first leaves out its # HELP and # TYPE lines.
          steps.push(at === 0 ? text : text.split("\n").slice(2).join("\n"));
        }
        parts.push(steps.join("\n"));
      }
      for (const metric of this.#process?.getMetricsAsArray() ?? []) {
        await turn();
        const m = (await (metric as unknown as { get(): Promise<Collected> }).get()) as Collected;
        const name = openMetrics && m.type === "counter" ? m.name.replace(/_total$/, "") : m.name;
        parts.push(await formatOne(formatter, { name, get: async () => ({ ...m, name }) }));
      }
    } finally {
      this.#lastRenderSeconds = (performance.now() - started) / 1e3;
    }
    // The joins of prom-client's Registry.metrics().
    return openMetrics ? `${parts.join("\n")}\n# EOF\n` : `${parts.join("\n\n")}\n`;
  }

  /** An empty registry per format, used only for prom-client's formatting of one family at a time. */
  #formatter(format: MetricsFormat): Registry<RegistryContentType> {
    let registry = this.#formatters.get(format);
    if (!registry) {
      registry = new Registry<RegistryContentType>();
      registry.setContentType(CONTENT_TYPES[format]);
      this.#formatters.set(format, registry);
    }
    return registry;
  }

  #familyList(): Family[] {
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
    return families.map(([name, type, help, read]) => ({ name, help, type, read }));
  }
}
