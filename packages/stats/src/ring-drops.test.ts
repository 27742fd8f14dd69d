import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ipv4FromString, pcapngFileHeader, pcapngRecord, readCaptureFile } from "@pval/decode";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { StatsAnalyser } from "./analyser.js";
import { RingDropTracker } from "./ring-drops.js";
import { readPcapngRingDrops, ringDropStatisticsBlock, sideOfDevice } from "./ring-drops-pcapng.js";

const A = ipv4FromString("10.0.0.3");
const DST = ipv4FromString("10.0.0.2");
const T0 = 1_700_000_000_000_000_000n;
const MS = 1_000_000n;
const RX0 = "/dev/pval/pvr0-rx-cpu-0";
const TX0 = "/dev/pval/pvs0-tx-cpu-0";

describe("RingDropTracker", () => {
  it("totals per device and side, and lists every device it was told of", () => {
    const t = new RingDropTracker();
    t.device(TX0, "tx");
    t.add(RX0, "rx", T0, T0 + 1000n * MS, 7);
    t.add(RX0, "rx", T0 + 1000n * MS, T0 + 2000n * MS, 0);
    t.add("/dev/pval/pvr0-rx-cpu-1", "rx", T0, T0 + 1000n * MS, 3);
    expect(t.ringDrops()).toEqual({
      rx: { total: 10, devices: { [RX0]: 7, "/dev/pval/pvr0-rx-cpu-1": 3 } },
      tx: { total: 0, devices: { [TX0]: 0 } },
    });
    expect(t.windows).toHaveLength(2);
    expect(() => t.add(RX0, "rx", T0 + 1n, T0, 1)).toThrow(/ends .* before it starts/);
    expect(() => t.add(RX0, "rx", T0, T0, -1)).toThrow(RangeError);
  });

  it("counts lost packets inside receiver windows (widened by the slack), not outside", () => {
    // TX copies every 10 ms, seq 0..99; the receiver gets them 5 ms later,
    // except seq 10..14 (network loss, outside any window) and 50..59 (its
    // ring dropped them between 500 and 600 ms).
    const t = new RingDropTracker({ slackNs: 20_000_000 });
    t.add(RX0, "rx", T0 + 500n * MS, T0 + 600n * MS, 10);
    const an = new StatsAnalyser({ withTx: true, onLost: t.lost, joinWindowNs: 1e9 });
    for (let seq = 0; seq < 100; seq++) {
      const tx = T0 + BigInt(seq) * 10n * MS - 5n * MS;
      an.addTx(tx, A, DST, 0, BigInt(seq));
      if ((seq >= 10 && seq < 15) || (seq >= 50 && seq < 60)) continue;
      an.addRx(tx + 5n * MS, A, DST, 0, BigInt(seq));
    }
    an.finish();
    const report = t.annotate(an.report());
    const s = report.streams[0]!;
    expect(s.lost).toBe(15);
    expect(s.lost_upper_bound).toBe(true);
    expect(s.lost_in_drop_windows).toBe(10);
    expect(report.ring_drops).toEqual({ rx: { total: 10, devices: { [RX0]: 10 } }, tx: { total: 0, devices: {} } });
    expect(t.remark()).toMatch(
      /ring drops RX 10 .*\n.*upper bounds \(1 drop windows, 10 lost packets fall inside them\)/,
    );
  });

  it("flags missing as an upper bound without TX copies, and nothing without receiver drops", () => {
    const t = new RingDropTracker();
    const an = new StatsAnalyser();
    an.addRx(T0, A, DST, 0, 1n);
    an.addRx(T0 + MS, A, DST, 0, 3n);
    an.finish();
    t.add(TX0, "tx", T0, T0 + MS, 4);
    const quiet = t.annotate(an.report());
    expect(quiet.streams[0]!.missing_upper_bound).toBeUndefined();
    expect(t.remark()).toBe(`ring drops TX 4 (${TX0} 4): those packets have no TX copy\n`);
    t.add(RX0, "rx", T0, T0 + MS, 1);
    const flagged = t.annotate(an.report());
    expect(flagged.streams[0]!.missing_upper_bound).toBe(true);
    expect(flagged.streams[0]!.lost_in_drop_windows).toBeUndefined();
  });

  it("keeps at most maxWindows windows, merging without losing a drop or a covered instant", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1000), fc.nat(50), fc.integer({ min: 1, max: 9 })), { maxLength: 200 }),
        (ws) => {
          const t = new RingDropTracker({ maxWindows: 8, slackNs: 0 });
          let total = 0;
          for (const [start, len, drops] of ws) {
            t.add(RX0, "rx", T0 + BigInt(start), T0 + BigInt(start + len), drops);
            total += drops;
          }
          expect(t.windows.length).toBeLessThanOrEqual(8);
          expect(t.windows.reduce((a, w) => a + w.drops, 0)).toBe(total);
          for (const [start, len] of ws) {
            expect(t.inRxWindow(T0 + BigInt(start))).toBe(true);
            expect(t.inRxWindow(T0 + BigInt(start + len))).toBe(true);
          }
        },
      ),
    );
  });
});

describe("ring drops in pcapng", () => {
  const dir = mkdtempSync(join(tmpdir(), "pval-ringdrops-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const shb = (): Uint8Array => {
    const b = new Uint8Array(28);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x0a0d0d0a, true);
    v.setUint32(4, 28, true);
    v.setUint32(8, 0x1a2b3c4d, true);
    v.setUint16(12, 1, true);
    v.setBigInt64(16, -1n, true);
    v.setUint32(24, 28, true);
    return b;
  };
  const idb = (name: string): Uint8Array => {
    const nb = new TextEncoder().encode(name);
    const total = 16 + 4 + ((nb.length + 3) & ~3) + 8 + 4 + 4;
    const b = new Uint8Array(total);
    const v = new DataView(b.buffer);
    v.setUint32(0, 1, true);
    v.setUint32(4, total, true);
    v.setUint16(8, 1, true);
    let at = 16;
    v.setUint16(at, 2, true);
    v.setUint16(at + 2, nb.length, true);
    b.set(nb, at + 4);
    at += 4 + ((nb.length + 3) & ~3);
    v.setUint16(at, 9, true);
    v.setUint16(at + 2, 1, true);
    v.setUint8(at + 4, 9);
    v.setUint32(total - 4, total, true);
    return b;
  };
  const file = (name: string, blocks: Uint8Array[]): string => {
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat(blocks));
    return path;
  };

  it("turns consecutive statistics blocks of an interface into drop windows", () => {
    const path = file("two.pcapng", [
      shb(),
      idb(RX0),
      idb(TX0),
      ringDropStatisticsBlock(0, T0, 0n),
      ringDropStatisticsBlock(1, T0, 0n),
      ringDropStatisticsBlock(0, T0 + 1000n * MS, 0n),
      ringDropStatisticsBlock(0, T0 + 2000n * MS, 12n),
      ringDropStatisticsBlock(1, T0 + 2500n * MS, 2n),
      ringDropStatisticsBlock(0, T0 + 3000n * MS, 12n),
    ]);
    const t = new RingDropTracker();
    expect(readPcapngRingDrops(path, t, "rx")).toEqual({ blocks: 6, drops: 14 });
    expect(t.windows.map((w) => [w.device, w.side, w.startNs - T0, w.endNs - T0, w.drops])).toEqual([
      [RX0, "rx", 1000n * MS, 2000n * MS, 12],
      [TX0, "tx", 0n, 2500n * MS, 2],
    ]);
    expect(t.rxDrops).toBe(12);
    expect(t.txDrops).toBe(2);
  });

  it("leaves packets readable: statistics blocks between packets, the first packet opening a window", () => {
    const pkt = (ns: bigint): Uint8Array =>
      pcapngRecord({
        tsSec: Number(ns / 1_000_000_000n),
        tsNsec: Number(ns % 1_000_000_000n),
        data: new Uint8Array(60),
      });
    const path = file("mixed.pcapng", [
      pcapngFileHeader(),
      pkt(T0 + 10n * MS),
      ringDropStatisticsBlock(0, T0 + 20n * MS, 3n),
      pkt(T0 + 30n * MS),
    ]);
    let packets = 0;
    readCaptureFile(path, () => {
      packets++;
      return true;
    });
    expect(packets).toBe(2);
    const t = new RingDropTracker();
    expect(readPcapngRingDrops(path, t, "tx")).toEqual({ blocks: 1, drops: 3 });
    // decode's interface has no if_name: "interface 0", the side as given.
    expect(t.windows.map((w) => [w.device, w.side, w.startNs - T0, w.endNs - T0])).toEqual([
      ["interface 0", "tx", 10n * MS, 20n * MS],
    ]);
  });

  it("reads a file without statistics, a pcap file and a truncated block as no drops", () => {
    const t = new RingDropTracker();
    expect(readPcapngRingDrops(file("none.pcapng", [shb(), idb(RX0)]), t, "rx")).toEqual({ blocks: 0, drops: 0 });
    const pcap = new Uint8Array(24);
    new DataView(pcap.buffer).setUint32(0, 0xa1b2c3d4, true);
    expect(readPcapngRingDrops(file("x.pcap", [pcap]), t, "rx")).toEqual({ blocks: 0, drops: 0 });
    const cut = ringDropStatisticsBlock(0, T0, 5n).subarray(0, 30);
    expect(readPcapngRingDrops(file("cut.pcapng", [shb(), idb(RX0), cut]), t, "rx")).toEqual({ blocks: 0, drops: 0 });
    expect(t.rxDrops).toBe(0);
  });

  it("tells the side from a pval device name", () => {
    expect(sideOfDevice(RX0, "tx")).toBe("rx");
    expect(sideOfDevice("/dev/pval/my-link-tx-cpu-12", "rx")).toBe("tx");
    expect(sideOfDevice("eth0", "tx")).toBe("tx");
  });
});
