// Ring drops: copies the kernel made no room for in a character device's
// ring (PVAL_IOC_RING_STATS dropped_full + dropped_nomem), kept apart from
// network loss.
//
// A copy dropped in the receiver's ring looks exactly like a packet lost in
// the network: its TX copy is never matched (`lost`), or its seq never
// arrives (`missing`). Ring drops are not attributed to packets (the kernel
// only counts them), so the tracker keeps them as windows: a device, a time
// range on the receiver's clock (between two reads of the counters, or two
// pcapng interface statistics), and how many copies it dropped in it. While
// a receiver's ring dropped, `lost` and `missing` are upper bounds of the
// network's loss; a lost packet whose expected arrival falls in such a
// window (widened by `slackNs` before its start, for delays above the
// smallest one seen) is counted in `lost_in_drop_windows`.
//
// Drops of the sender's TX rings cost TX copies instead: those packets are
// counted in `rx_without_tx` (or not at all when they were lost too), never
// in `lost`.

import type { LostRow } from "./analyser.js";
import type { StatsReport } from "./report.js";

export type RingSide = "rx" | "tx";

/** Copies one ring dropped between two readings of its counters. */
export interface RingDropWindow {
  device: string;
  side: RingSide;
  /** Absolute ns (CLOCK_REALTIME, the clock of software timestamps). */
  startNs: bigint;
  endNs: bigint;
  drops: number;
}

export interface RingDropOptions {
  /** A window also covers lost packets expected up to this long before it, ns (default 100 ms). */
  slackNs?: number;
  /** Windows kept for the report; beyond it adjacent windows of a device merge (default 256). */
  maxWindows?: number;
}

/** The JSON `ring_drops`: per side, the total and each device's count. */
export interface RingDropsReport {
  rx: { total: number; devices: Record<string, number> };
  tx: { total: number; devices: Record<string, number> };
}

export class RingDropTracker {
  readonly slackNs: bigint;
  readonly maxWindows: number;
  readonly #totals = new Map<string, { side: RingSide; drops: number }>();
  readonly #windows: RingDropWindow[] = [];
  readonly #lostInWindows = new Map<string, number>();

  constructor(options: RingDropOptions = {}) {
    const slack = options.slackNs ?? 100_000_000;
    if (!(slack >= 0) || !Number.isSafeInteger(slack))
      throw new RangeError(`slackNs must be an integer >= 0, not ${slack}`);
    this.slackNs = BigInt(slack);
    this.maxWindows = options.maxWindows ?? 256;
    if (!(this.maxWindows >= 1)) throw new RangeError(`maxWindows must be >= 1, not ${this.maxWindows}`);
  }

  /** Registers a device, so that it is listed with 0 drops. */
  device(device: string, side: RingSide): void {
    if (!this.#totals.has(device)) this.#totals.set(device, { side, drops: 0 });
  }

  /** `drops` copies the device's ring dropped in [startNs, endNs]. */
  add(device: string, side: RingSide, startNs: bigint, endNs: bigint, drops: number): void {
    if (!Number.isSafeInteger(drops) || drops < 0) throw new RangeError(`drops must be an integer >= 0, not ${drops}`);
    if (endNs < startNs) throw new RangeError(`window of ${device} ends (${endNs}) before it starts (${startNs})`);
    this.device(device, side);
    if (drops === 0) return;
    this.#totals.get(device)!.drops += drops;
    this.#windows.push({ device, side, startNs, endNs, drops });
    if (this.#windows.length > this.maxWindows) this.#merge();
  }

  /** Copies dropped by the receiver's rings so far. */
  get rxDrops(): number {
    return this.#sideTotal("rx");
  }

  get txDrops(): number {
    return this.#sideTotal("tx");
  }

  get windows(): readonly RingDropWindow[] {
    return this.#windows;
  }

  /** True when a receiver's ring dropped around `rxNs` (the window widened by slackNs before its start). */
  inRxWindow(rxNs: bigint): boolean {
    for (const w of this.#windows) {
      if (w.side === "rx" && rxNs >= w.startNs - this.slackNs && rxNs <= w.endNs) return true;
    }
    return false;
  }

  /** The analyser's onLost hook: counts the lost packets that fall in a receiver's drop window. */
  readonly lost = (row: LostRow): void => {
    if (!this.inRxWindow(row.rxEstimateNs)) return;
    const key = `${row.src} ${row.cpu}`;
    this.#lostInWindows.set(key, (this.#lostInWindows.get(key) ?? 0) + 1);
  };

  /** Lost packets of a stream whose expected arrival fell in a receiver's drop window. */
  lostInWindows(src: string, cpu: number): number {
    return this.#lostInWindows.get(`${src} ${cpu}`) ?? 0;
  }

  ringDrops(): RingDropsReport {
    const out: RingDropsReport = { rx: { total: 0, devices: {} }, tx: { total: 0, devices: {} } };
    for (const [device, t] of [...this.#totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      out[t.side].devices[device] = t.drops;
      out[t.side].total += t.drops;
    }
    return out;
  }

  /**
   * Adds to a `pval stats --json` report: `ring_drops`, `ring_drop_windows`,
   * and per stream, when a receiver's ring dropped, `lost_upper_bound` (with
   * TX copies, and `lost_in_drop_windows`) or `missing_upper_bound`.
   */
  annotate(report: StatsReport): StatsReport {
    report.ring_drops = this.ringDrops();
    report.ring_drop_windows = this.#windows.map((w) => ({
      device: w.device,
      side: w.side,
      start_ns: w.startNs.toString(),
      end_ns: w.endNs.toString(),
      drops: w.drops,
    }));
    if (this.rxDrops === 0) return report;
    for (const s of report.streams) {
      if (s.lost !== null) {
        s.lost_upper_bound = true;
        s.lost_in_drop_windows = this.lostInWindows(s.src, s.cpu);
      } else s.missing_upper_bound = true;
    }
    return report;
  }

  /** The remark under the text table; empty when no ring dropped. */
  remark(): string {
    const rx = this.rxDrops;
    const tx = this.txDrops;
    if (rx === 0 && tx === 0) return "";
    const lines: string[] = [];
    const per = (side: RingSide): string =>
      Object.entries(this.ringDrops()[side].devices)
        .filter(([, n]) => n > 0)
        .map(([d, n]) => `${d} ${n}`)
        .join(", ");
    if (rx > 0) {
      let inWindows = 0;
      for (const n of this.#lostInWindows.values()) inWindows += n;
      lines.push(
        `ring drops RX ${rx} (${per("rx")}): copies this host's rings had no room for, not network loss;`,
        `  lost and missing are upper bounds (${this.#windows.filter((w) => w.side === "rx").length} drop windows, ` +
          `${inWindows} lost packets fall inside them)`,
      );
    }
    if (tx > 0) lines.push(`ring drops TX ${tx} (${per("tx")}): those packets have no TX copy`);
    return `${lines.join("\n")}\n`;
  }

  #sideTotal(side: RingSide): number {
    let n = 0;
    for (const t of this.#totals.values()) if (t.side === side) n += t.drops;
    return n;
  }

  // Halves the list: each device's windows merge pairwise in time order.
  #merge(): void {
    const byDevice = new Map<string, RingDropWindow[]>();
    for (const w of this.#windows) {
      const list = byDevice.get(w.device) ?? [];
      list.push(w);
      byDevice.set(w.device, list);
    }
    const merged: RingDropWindow[] = [];
    for (const list of byDevice.values()) {
      list.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
      for (let i = 0; i < list.length; i += 2) {
        const a = list[i]!;
        const b = list[i + 1];
        if (!b) {
          merged.push(a);
          continue;
        }
        let endNs = a.endNs;
        if (b.endNs > endNs) endNs = b.endNs;
        merged.push({ device: a.device, side: a.side, startNs: a.startNs, endNs, drops: a.drops + b.drops });
      }
    }
    merged.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
    this.#windows.length = 0;
    this.#windows.push(...merged);
  }
}

/** Realtime ns now (the clock of software timestamps), finer than Date.now(). */
export function realtimeNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}
