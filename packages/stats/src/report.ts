// One record per stream, rendered three ways — the JSON of `pval stats
// --json`, the text table, and (in ./prometheus) the exporter — so that they
// can never disagree. Nothing is printed that StreamStats does not hold.

import type { Dist, DistSummary } from "./histogram.js";
import type { SeriesBin } from "./series.js";

/** The figures of one stream (SPEC section 6), as the analyser holds them at the time of the snapshot. */
export interface StreamStats {
  src: string;
  /** The source address as a u32 (for sorting and labels). */
  srcAddr: number;
  cpu: number;
  received: number;
  unique: number;
  duplicates: number;
  /** Smallest and largest seq received; null when every packet of the stream was lost. */
  first_seq: bigint | null;
  last_seq: bigint | null;
  missing: number;
  /** With TX copies: copies to destinations the receiver saw, settled so far. Else null. */
  sent: number | null;
  lost: number | null;
  reordered: number;
  reorder_extent_max: number;
  interval: Dist | null;
  ipdv: Dist | null;
  owd: Dist | null;
  /** Packets older than the reordering window: counted unique and reordered, with no extent. */
  beyond_window: number;
  /** With TX copies: packets (either side) that came after their seq had settled. */
  join_late: number;
  /** With TX copies: seqs settled early because the stream's join table was full. */
  join_forced: number;
  /** With TX copies: received packets with no TX copy. */
  rx_without_tx: number;
  /** Packets whose seq was too far from the stream's first to analyse. */
  seq_out_of_range: number;
  /** Wall-clock ms when the stream was last seen (for pruning by the exporter). */
  lastSeenMs: number;
  /** IPDV over time (plots); empty without TX copies. */
  ipdvSeries: () => SeriesBin[];
}

export interface StatsSnapshot {
  /** Sorted by source address, then cpu. */
  streams: StreamStats[];
  /** Received IPv4 packets without a well-formed option 222. */
  no_option: number;
  /** Received frames that are not IPv4. */
  not_ipv4: number;
  /** The same for the TX copies. */
  tx_no_option: number;
  tx_not_ipv4: number;
  /** Streams evicted by the maxStreams bound. */
  streams_dropped: number;
  /** Packets that came later than the reorder horizon (handed on out of order), per side. */
  rx_reorder_late: number;
  tx_reorder_late: number;
  /** TX copies were given: sent, lost, ipdv are figures, not null. */
  with_tx: boolean;
}

/** The JSON of one stream: SPEC section 6's keys, then any bound that was exceeded. */
export interface StreamReport {
  src: string;
  cpu: number;
  received: number;
  unique: number;
  duplicates: number;
  first_seq: string | null;
  last_seq: string | null;
  missing: number;
  sent: number | null;
  lost: number | null;
  reordered: number;
  reorder_extent_max: number;
  interval_ns: DistSummary | null;
  ipdv_ns: DistSummary | null;
  owd_ns: DistSummary | null;
  [extra: string]: unknown;
}

export interface StatsReport {
  streams: StreamReport[];
  no_option: number;
  not_ipv4: number;
  [extra: string]: unknown;
}

/** Per-stream counters that appear in the JSON only when not zero. */
const STREAM_EXTRAS = ["beyond_window", "join_late", "join_forced", "rx_without_tx", "seq_out_of_range"] as const;
/** Top-level counters that appear only when not zero. */
const TOP_EXTRAS = ["tx_no_option", "tx_not_ipv4", "streams_dropped", "rx_reorder_late", "tx_reorder_late"] as const;

function summary(d: Dist | null): DistSummary | null {
  return d === null || d.count === 0 ? null : d.summary();
}

/** The JSON shape of `pval stats --json` (u64 seqs as decimal strings). */
export function toReport(snap: StatsSnapshot): StatsReport {
  const streams = snap.streams.map((s) => {
    const out: StreamReport = {
      src: s.src,
      cpu: s.cpu,
      received: s.received,
      unique: s.unique,
      duplicates: s.duplicates,
      first_seq: s.first_seq === null ? null : s.first_seq.toString(),
      last_seq: s.last_seq === null ? null : s.last_seq.toString(),
      missing: s.missing,
      sent: s.sent,
      lost: s.lost,
      reordered: s.reordered,
      reorder_extent_max: s.reorder_extent_max,
      interval_ns: summary(s.interval),
      ipdv_ns: summary(s.ipdv),
      owd_ns: summary(s.owd),
    };
    for (const k of STREAM_EXTRAS) if (s[k] !== 0) out[k] = s[k];
    return out;
  });
  const report: StatsReport = { streams, no_option: snap.no_option, not_ipv4: snap.not_ipv4 };
  for (const k of TOP_EXTRAS) if (snap[k] !== 0) report[k] = snap[k];
  return report;
}

/** A duration in ns for people: 850 ns, 12.3 µs, 1.23 ms, 2.05 s (sign kept). */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return "-";
  const a = Math.abs(ns);
  const sign = ns < 0 ? "-" : "";
  if (a < 1e3) return `${Math.round(ns)} ns`;
  const [v, unit] = a < 1e6 ? [a / 1e3, "µs"] : a < 1e9 ? [a / 1e6, "ms"] : [a / 1e9, "s"];
  return `${sign}${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${unit}`;
}

const MISSING_CAVEAT =
  "missing: seqs between first and last that did not arrive here. A sender numbers its packets to all\n" +
  "destinations in one sequence per CPU, so a missing seq is a loss or a packet sent elsewhere; give the\n" +
  "sender's TX copies (--tx) to count losses exactly.";

function distRows(s: StreamStats): string[] {
  const rows: [string, Dist | null][] = [
    ["interval", s.interval],
    ["ipdv", s.ipdv],
    ["owd", s.owd],
  ];
  const table: string[][] = [["", "count", "min", "mean", "p50", "p90", "p99", "max"]];
  for (const [name, d] of rows) {
    if (d === null || d.count === 0) continue;
    const x = d.summary();
    table.push([name, String(x.count), ...[x.min, x.mean, x.p50, x.p90, x.p99, x.max].map(formatNs)]);
  }
  if (table.length === 1) return [];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  return table.map(
    (r) => `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")}`,
  );
}

/** The text report: a block per stream, the caveat on `missing`, the counters of what was not analysed. */
export function formatText(snap: StatsSnapshot): string {
  const lines: string[] = [];
  if (snap.streams.length === 0) lines.push("no packet with option 222");
  for (const s of snap.streams) {
    lines.push(`${s.src} cpu ${s.cpu}`);
    const seqs = s.first_seq === null ? "none received" : `seq ${s.first_seq}..${s.last_seq}`;
    lines.push(
      `  received ${s.received}  unique ${s.unique}  duplicates ${s.duplicates}  ${seqs}  missing ${s.missing}` +
        (s.sent === null ? "" : `  sent ${s.sent}  lost ${s.lost}`),
    );
    lines.push(`  reordered ${s.reordered}  reorder extent max ${s.reorder_extent_max}`);
    lines.push(...distRows(s));
    const extras = STREAM_EXTRAS.filter((k) => s[k] !== 0).map((k) => `${k.replaceAll("_", " ")} ${s[k]}`);
    if (extras.length > 0) lines.push(`  ${extras.join("  ")}`);
  }
  const top = [`no option ${snap.no_option}`, `not IPv4 ${snap.not_ipv4}`];
  for (const k of TOP_EXTRAS) if (snap[k] !== 0) top.push(`${k.replaceAll("_", " ")} ${snap[k]}`);
  lines.push(top.join("  "));
  if (!snap.with_tx && snap.streams.length > 0) lines.push(MISSING_CAVEAT);
  return `${lines.join("\n")}\n`;
}
