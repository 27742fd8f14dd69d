import { describe, expect, it } from "vitest";
import { dropLine, dropRecord, RingWatch, readerStatsLine, type WatchedReader, wakeNote } from "./ring-watch.js";

/** A reader whose counters the test sets. */
function fake(
  path: string,
  direction: "rx" | "tx" | undefined,
): WatchedReader & { full: number; nomem: number; open: boolean } {
  const r = {
    path,
    direction,
    open: true,
    full: 0,
    nomem: 0,
    stats: () => ({ copied: 0, droppedFull: r.full, droppedNomem: r.nomem, read: 0 }),
  };
  return r;
}

describe("RingWatch", () => {
  it("reports the drops since the last poll, with the window they happened in", () => {
    const rx = fake("/dev/pval/p0-rx-cpu-0", "rx");
    const tx = fake("/dev/pval/p0-tx-cpu-0", "tx");
    rx.full = 100; // before the watch: not counted
    const w = new RingWatch([rx, tx], undefined, 1000n);
    expect(w.poll(2000n)).toEqual([]);
    rx.full = 130;
    rx.nomem = 2;
    expect(w.poll(3000n)).toEqual([
      { device: rx.path, side: "rx", drops: 32, total: 32, startNs: 2000n, endNs: 3000n, buffered: null },
    ]);
    tx.full = 5;
    rx.full = 140;
    expect(w.poll(4000n)).toEqual([
      { device: rx.path, side: "rx", drops: 10, total: 42, startNs: 3000n, endNs: 4000n, buffered: null },
      { device: tx.path, side: "tx", drops: 5, total: 5, startNs: 3000n, endNs: 4000n, buffered: null },
    ]);
    expect(w.total(rx.path)).toBe(42);
    expect(w.total("/dev/none")).toBeNull();
  });

  it("leaves out devices without counters and closed devices, and takes the side it is given", () => {
    const bad: WatchedReader = {
      path: "/dev/x",
      direction: undefined,
      open: true,
      stats: () => {
        throw new Error("ENOTTY");
      },
    };
    const odd = fake("/tmp/fifo", undefined);
    const w = new RingWatch([bad, odd], () => "tx", 0n);
    expect(w.unknown).toEqual(["/dev/x"]);
    odd.full = 3;
    expect(w.poll(10n)[0]?.side).toBe("tx");
    odd.full = 9;
    odd.open = false;
    expect(w.poll(20n)).toEqual([]);
  });

  it("formats a line and a JSON record", () => {
    const e = {
      device: "/dev/pval/p0-rx-cpu-1",
      side: "rx" as const,
      drops: 7,
      total: 9,
      startNs: 0n,
      endNs: 1_500_000_000n,
      buffered: 61680,
    };
    expect(dropLine("dump", e)).toBe(
      "dump: /dev/pval/p0-rx-cpu-1: 7 ring drops in 1.50 s (9 since start), copies the kernel had no room for; 61680 slots buffered\n",
    );
    expect(dropLine("dump", { ...e, buffered: null })).not.toMatch(/buffered/);
    expect(JSON.parse(dropRecord(e))).toEqual({
      ring_drops: {
        device: e.device,
        side: "rx",
        drops: 7,
        total: 9,
        start_ns: "0",
        end_ns: "1500000000",
        buffered: 61680,
      },
    });
  });
});

describe("readerStatsLine", () => {
  it("says how the reader thread kept up, in ms", () => {
    const line = readerStatsLine("stats", "/dev/pval/pval0-rx-cpu-1", {
      allocations: 2,
      reads: 517,
      maxReadSlots: 1024,
      maxGapNs: 12_345_678,
      maxWaitNs: 1_050_000,
      gapFaults: 68,
      gapWaits: 3,
      gapPreemptions: 1,
      maxReadNs: 2_500_000,
      maxWokeToReadNs: 40_000,
    });
    expect(line).toBe(
      "stats: /dev/pval/pval0-rx-cpu-1: reader thread kept up: 517 reads, at most 1024 slots in one, " +
        "longest gap between reads 12.35 ms (68 page faults, 3 waits, 1 preemptions in it), longest wait for a wakeup 1.05 ms, " +
        "longest from a wakeup to the read 0.04 ms, longest read 2.50 ms, 2 buffer chunks allocated by the thread itself\n",
    );
  });

  it("says when there is no reader thread (-B 0)", () => {
    expect(readerStatsLine("dump", "/dev/pval/pval0-tx-cpu-0", null)).toBe(
      "dump: /dev/pval/pval0-tx-cpu-0: no reader thread\n",
    );
  });

  it("names the ring's wakeup threshold only when the module reported one", () => {
    expect(wakeNote(64)).toBe(", woken at 64 slots");
    expect(wakeNote(null)).toBe("");
  });
});
