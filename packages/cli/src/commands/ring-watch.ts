// Ring drops as they happen: the PVAL_IOC_RING_STATS counters of every
// device read at start and then on each poll (every second in `pval dump`
// and live `pval stats`); a device whose drop counter grew yields an event
// with the window it grew in. One ioctl per device per poll.

import type { ReaderStats, RingStats } from "@pval/chardev";

/** What a poll needs of a reader. */
export interface WatchedReader {
  readonly path: string;
  readonly direction: "rx" | "tx" | undefined;
  readonly open: boolean;
  /** Slots its reader thread holds (a full buffer means the consumer is behind). */
  readonly buffered?: number;
  stats(): RingStats;
}

/** Copies a ring dropped between two polls. */
export interface RingDropEvent {
  device: string;
  side: "rx" | "tx";
  /** Drops in this window, and since the watch started. */
  drops: number;
  total: number;
  /** The window: the previous poll and this one, realtime ns. */
  startNs: bigint;
  endNs: bigint;
  /** Slots the reader thread held at this poll; null when unknown. */
  buffered: number | null;
}

interface Watched {
  reader: WatchedReader;
  side: "rx" | "tx";
  atStart: number;
  last: number;
  lastNs: bigint;
}

/** Realtime ns now (the clock of software timestamps). */
export function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

function drops(s: RingStats): number {
  return s.droppedFull + s.droppedNomem;
}

export class RingWatch {
  readonly #watched: Watched[] = [];
  /** Devices whose module has no ring counters (ENOTTY), left out. */
  readonly unknown: string[] = [];

  /** `sideOf`: a device's side, by default its direction (RX when the name says none). */
  constructor(
    readers: readonly WatchedReader[],
    sideOf: (r: WatchedReader) => "rx" | "tx" = (r) => r.direction ?? "rx",
    now: bigint = nowNs(),
  ) {
    for (const reader of readers) {
      try {
        const d = drops(reader.stats());
        this.#watched.push({ reader, side: sideOf(reader), atStart: d, last: d, lastNs: now });
      } catch {
        this.unknown.push(reader.path);
      }
    }
  }

  /** Reads every open device's counters; an event for each whose drops grew. */
  poll(now: bigint = nowNs()): RingDropEvent[] {
    const events: RingDropEvent[] = [];
    for (const w of this.#watched) {
      if (!w.reader.open) continue;
      let d: number;
      try {
        d = drops(w.reader.stats());
      } catch {
        continue; // the link is gone (ENODEV): its counters stay as last read
      }
      if (d > w.last) {
        events.push({
          device: w.reader.path,
          side: w.side,
          drops: d - w.last,
          total: d - w.atStart,
          startNs: w.lastNs,
          endNs: now,
          buffered: w.reader.buffered ?? null,
        });
      }
      w.last = d;
      w.lastNs = now;
    }
    return events;
  }

  /** Drops of a device since the watch started; null when not watched. */
  total(device: string): number | null {
    const w = this.#watched.find((x) => x.reader.path === device);
    return w ? w.last - w.atStart : null;
  }
}

/**
 * The stderr line of an event: `<cmd>: <device>: N ring drops in 1.00 s (M
 * since start), copies the kernel had no room for[; K slots buffered]`.
 */
export function dropLine(cmd: string, e: RingDropEvent): string {
  const secs = Number(e.endNs - e.startNs) / 1e9;
  const held = e.buffered === null ? "" : `; ${e.buffered} slots buffered`;
  return `${cmd}: ${e.device}: ${e.drops} ring drops in ${secs.toFixed(2)} s (${e.total} since start), copies the kernel had no room for${held}\n`;
}

/** The same as one JSON line: {"ring_drops": {...}}. */
export function dropRecord(e: RingDropEvent): string {
  return `${JSON.stringify({
    ring_drops: {
      device: e.device,
      side: e.side,
      drops: e.drops,
      total: e.total,
      start_ns: e.startNs.toString(),
      end_ns: e.endNs.toString(),
      buffered: e.buffered,
    },
  })}\n`;
}

/**
 * `<cmd>: <device>: reader thread kept up: …` (-v, at the end): what tells a
 * ring drop caused by the reader thread (a long gap between reads, a pause
 * slept too long, an allocation of its own) from one caused by a full
 * buffer (the consumer behind).
 */
export function readerStatsLine(cmd: string, device: string, s: ReaderStats | null): string {
  if (s === null) return `${cmd}: ${device}: no reader thread\n`;
  const ms = (ns: number): string => (ns / 1e6).toFixed(2);
  return (
    `${cmd}: ${device}: reader thread kept up: ${s.reads} reads, at most ${s.maxReadSlots} slots in one, ` +
    `longest gap between reads ${ms(s.maxGapNs)} ms (${s.gapFaults} page faults, ${s.gapWaits} waits, ${s.gapPreemptions} preemptions in it), ` +
    `longest wait for a wakeup ${ms(s.maxWaitNs)} ms, longest from a wakeup to the read ${ms(s.maxWokeToReadNs)} ms, ` +
    `longest read ${ms(s.maxReadNs)} ms, ` +
    `${s.allocations} buffer chunks allocated by the thread itself\n`
  );
}

/** `, woken at N slots` for the reader thread line (-v); empty when the module keeps its own threshold. */
export function wakeNote(wakeSlots: number | null): string {
  return wakeSlots === null ? "" : `, woken at ${wakeSlots} slots`;
}
