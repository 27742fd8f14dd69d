// Helpers of the exporter's tests: distributions and snapshots made by hand,
// and a reader of the exposition text. Not exported by the package.

import type { SnapshotDist, SnapshotStream, StatsSnapshotLike } from "./types.js";

/** An exact distribution of the given values (ns). */
export function exactDist(values: readonly number[]): SnapshotDist {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    sum: sorted.reduce((a, b) => a + b, 0),
    min: sorted[0] ?? 0,
    max: sorted[sorted.length - 1] ?? 0,
    cumulativeCount: (le) => sorted.filter((v) => v <= le).length,
  };
}

export function stream(init: Partial<SnapshotStream> & Pick<SnapshotStream, "src" | "cpu">): SnapshotStream {
  return {
    received: 0,
    duplicates: 0,
    missing: 0,
    reordered: 0,
    sent: null,
    lost: null,
    lastSeenMs: 0,
    interval: null,
    ipdv: null,
    ...init,
  };
}

export function snapshot(streams: SnapshotStream[], extra: Partial<StatsSnapshotLike> = {}): StatsSnapshotLike {
  return { streams, no_option: 0, not_ipv4: 0, streams_dropped: 0, ...extra };
}

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of an exposition text (either format); comments skipped. */
export function parseExposition(text: string): ParsedSample[] {
  const out: ParsedSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \S+)?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    const v = m[3] as string;
    out.push({
      name: m[1] as string,
      labels,
      value: v === "+Inf" ? Number.POSITIVE_INFINITY : v === "-Inf" ? Number.NEGATIVE_INFINITY : Number(v),
    });
  }
  return out;
}

/** The one sample of `name` whose labels include `labels`; throws unless exactly one matches. */
export function sampleValue(samples: ParsedSample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${name}${JSON.stringify(labels)}`);
  return (hits[0] as ParsedSample).value;
}
