// `pval stats --plot`: a self-contained SVG of a snapshot. Per stream, the
// interval histogram on a logarithmic time axis and, with the sender's TX
// copies, IPDV over time (mean per time bin, with the bin's min–max as a
// band). Drawn from the same StreamStats as the table and the JSON.

import type { Dist } from "./histogram.js";
import { formatNs, type StatsSnapshot, type StreamStats } from "./report.js";

const PANEL_W = 520;
const PANEL_H = 220;
const PAD = { left: 62, right: 16, top: 30, bottom: 40 };
const MAX_STREAMS = 16;
const HIST_BINS = 60;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const f1 = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Axis ticks: 1-2-5 steps between lo and hi. */
function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

function frame(x: number, y: number, title: string, xLabel: string): string {
  const w = PANEL_W - PAD.left - PAD.right;
  const h = PANEL_H - PAD.top - PAD.bottom;
  return (
    `<text x="${x + PAD.left}" y="${y + 18}" class="t">${esc(title)}</text>` +
    `<rect x="${x + PAD.left}" y="${y + PAD.top}" width="${w}" height="${h}" class="f"/>` +
    `<text x="${x + PAD.left + w / 2}" y="${y + PANEL_H - 6}" class="l" text-anchor="middle">${esc(xLabel)}</text>`
  );
}

/** The interval histogram: log10 of the interval on x, samples per bin on y. */
function histogramPanel(x: number, y: number, s: StreamStats, d: Dist): string {
  const w = PANEL_W - PAD.left - PAD.right;
  const h = PANEL_H - PAD.top - PAD.bottom;
  const x0 = x + PAD.left;
  const y0 = y + PAD.top;
  const lo = Math.log10(Math.max(1, d.min));
  const hi = Math.max(lo + 1, Math.log10(Math.max(1, d.max)) + 0.01);
  const counts = new Array<number>(HIST_BINS).fill(0);
  for (const b of d.buckets()) {
    const k = Math.min(
      HIST_BINS - 1,
      Math.max(0, Math.floor(((Math.log10(Math.max(1, b.value)) - lo) / (hi - lo)) * HIST_BINS)),
    );
    counts[k]! += b.count;
  }
  const top = Math.max(...counts);
  let out = frame(x, y, `${s.src} cpu ${s.cpu}: intervals (${d.count})`, "interval (log scale)");
  const bw = w / HIST_BINS;
  counts.forEach((c, k) => {
    if (c === 0) return;
    const bh = (c / top) * h;
    out += `<rect x="${f1(x0 + k * bw)}" y="${f1(y0 + h - bh)}" width="${f1(Math.max(1, bw - 1))}" height="${f1(bh)}" class="b"/>`;
  });
  // Ticks at the powers of ten, and at 2 and 5 times them when the axis spans less than two decades.
  const steps = hi - lo < 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const k of steps) {
      const at = Math.log10(k) + e;
      if (at < lo || at > hi) continue;
      const px = x0 + ((at - lo) / (hi - lo)) * w;
      out += `<line x1="${f1(px)}" y1="${y0 + h}" x2="${f1(px)}" y2="${y0 + h + 4}" class="a"/>`;
      out += `<text x="${f1(px)}" y="${y0 + h + 16}" class="l" text-anchor="middle">${esc(formatNs(k * 10 ** e))}</text>`;
    }
  }
  out += `<text x="${x0 - 6}" y="${y0 + 10}" class="l" text-anchor="end">${top}</text>`;
  out += `<text x="${x0 - 6}" y="${y0 + h}" class="l" text-anchor="end">0</text>`;
  const p50 = d.quantile(0.5);
  const px = x0 + ((Math.log10(Math.max(1, p50)) - lo) / (hi - lo)) * w;
  out += `<line x1="${f1(px)}" y1="${y0}" x2="${f1(px)}" y2="${y0 + h}" class="m"/>`;
  const right = px > x0 + w - 90;
  out += `<text x="${f1(right ? px - 4 : px + 4)}" y="${y0 + 12}" class="l" text-anchor="${right ? "end" : "start"}">p50 ${esc(formatNs(p50))}</text>`;
  return out;
}

/** IPDV over time: the mean per bin as a line, min–max as a band. */
function ipdvPanel(x: number, y: number, s: StreamStats): string {
  const bins = s.ipdvSeries();
  let out = frame(x, y, `${s.src} cpu ${s.cpu}: IPDV over time`, "time since the first packet (s)");
  if (bins.length === 0) return out;
  const w = PANEL_W - PAD.left - PAD.right;
  const h = PANEL_H - PAD.top - PAD.bottom;
  const x0 = x + PAD.left;
  const y0 = y + PAD.top;
  const t0 = bins[0]!.t;
  const t1 = Math.max(t0 + 1, bins.at(-1)!.t);
  const vlo = Math.min(0, ...bins.map((b) => b.min));
  const vhi = Math.max(0, ...bins.map((b) => b.max));
  const span = vhi - vlo || 1;
  const X = (t: number): number => x0 + ((t - t0) / (t1 - t0)) * w;
  const Y = (v: number): number => y0 + h - ((v - vlo) / span) * h;
  const band =
    bins.map((b) => `${f1(X(b.t))},${f1(Y(b.max))}`).join(" ") +
    " " +
    [...bins]
      .reverse()
      .map((b) => `${f1(X(b.t))},${f1(Y(b.min))}`)
      .join(" ");
  out += `<polygon points="${band}" class="band"/>`;
  out += `<polyline points="${bins.map((b) => `${f1(X(b.t))},${f1(Y(b.mean))}`).join(" ")}" class="line"/>`;
  out += `<line x1="${x0}" y1="${f1(Y(0))}" x2="${x0 + w}" y2="${f1(Y(0))}" class="a"/>`;
  for (const v of ticks(vlo, vhi, 4)) {
    out += `<text x="${x0 - 6}" y="${f1(Y(v) + 4)}" class="l" text-anchor="end">${esc(formatNs(v))}</text>`;
  }
  for (const t of ticks(0, (t1 - t0) / 1e9, 5)) {
    const px = X(t0 + t * 1e9);
    out += `<text x="${f1(px)}" y="${y0 + h + 16}" class="l" text-anchor="middle">${t}</text>`;
  }
  return out;
}

/** The SVG document for a snapshot. */
export function plotSvg(snap: StatsSnapshot): string {
  const streams = snap.streams.filter((s) => s.interval !== null).slice(0, MAX_STREAMS);
  const cols = snap.with_tx ? 2 : 1;
  const width = cols * PANEL_W;
  const header = 40;
  const height = header + Math.max(1, streams.length) * PANEL_H;
  let body = "";
  streams.forEach((s, i) => {
    const y = header + i * PANEL_H;
    body += histogramPanel(0, y, s, s.interval!);
    if (snap.with_tx) body += ipdvPanel(PANEL_W, y, s);
  });
  const more = snap.streams.length - streams.length;
  const title =
    streams.length === 0
      ? "pval stats: no stream with two packets or more"
      : `pval stats: ${streams.length} stream${streams.length === 1 ? "" : "s"}${more > 0 ? ` (${more} more not drawn)` : ""}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n` +
    "<style>.t{font:bold 13px sans-serif}.l{font:11px sans-serif;fill:#333}.f{fill:#fafafa;stroke:#999}" +
    ".b{fill:#4a7ab5}.a{stroke:#666}.m{stroke:#c33;stroke-dasharray:4 3}.band{fill:#f0b27a;opacity:.5}" +
    ".line{fill:none;stroke:#c0392b;stroke-width:1.5}</style>\n" +
    `<rect width="${width}" height="${height}" fill="white"/>` +
    `<text x="12" y="26" class="t">${esc(title)}</text>\n${body}\n</svg>\n`
  );
}
