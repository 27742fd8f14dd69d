import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CaptureReader,
  encodeFrame,
  ipv4FromString,
  pcapFileHeader,
  pcapngFileHeader,
  pcapngRecord,
  pcapRecord,
  SlotBatch,
} from "@pval/decode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readCaptureSlots, SlotPcapngWriter } from "./slot-format-pcap.js";

const mac = (s: string): Uint8Array => Uint8Array.from(s.split(":").map((h) => Number.parseInt(h, 16)));
const frame = (len: number, seq: number): Uint8Array =>
  encodeFrame({
    ethernet: { src: mac("08:00:27:19:12:a4"), dst: mac("ea:51:d7:0c:95:1a") },
    ipv4: { src: ipv4FromString("10.0.0.2"), dst: ipv4FromString("10.0.0.3") },
    udp: { srcPort: 1000 + seq, dstPort: 9 },
    payload: new Uint8Array(len),
  });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pval-pcap-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function readAll(path: string, batchSize?: number): { tstamp: bigint; pktlen: number; pkt: Uint8Array }[] {
  const out: { tstamp: bigint; pktlen: number; pkt: Uint8Array }[] = [];
  readCaptureSlots(
    path,
    (slots) => {
      for (let i = 0; i < slots.count; i++) {
        out.push({ tstamp: slots.tstamp(i), pktlen: slots.pktlen(i), pkt: slots.pkt(i).slice() });
      }
      return undefined;
    },
    batchSize,
  );
  return out;
}

describe("pcapng written from slots", () => {
  it("reads back with the same timestamps, bytes and lengths, one interface per device", () => {
    const devices = ["/dev/pval/pval0-tx-cpu-0", "/dev/pval/pval0-rx-cpu-0"];
    const w = new SlotPcapngWriter(devices);
    const a = SlotBatch.allocate(2);
    a.write(0, { frame: frame(10, 0), tstamp: 1764084245596047123n });
    a.write(1, { frame: frame(400, 1).subarray(0, 256), pktlen: frame(400, 1).length, tstamp: 1764084245596047999n });
    const b = SlotBatch.allocate(1);
    b.write(0, { frame: frame(20, 2), tstamp: 5n });
    const path = join(dir, "dump.pcapng");
    writeFileSync(path, concat([w.header(), w.records(a, 2, devices[0]!), w.records(b, 1, devices[1]!)]));

    const back = readAll(path);
    expect(back.map((s) => s.tstamp)).toEqual([1764084245596047123n, 1764084245596047999n, 5n]);
    expect(back.map((s) => s.pktlen)).toEqual([frame(10, 0).length, frame(400, 1).length, frame(20, 2).length]);
    expect(back[1]!.pkt).toEqual(frame(400, 1).subarray(0, 256));

    if (existsSync("/usr/bin/tcpdump")) {
      // Any pcap tool reads it: tcpdump sees both interfaces and ns timestamps.
      const text = execFileSync("/usr/bin/tcpdump", ["-nn", "-r", path, "--nano", "-tt", "-e"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      const lines = text.trim().split("\n");
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^1764084245\.596047123 08:00:27:19:12:a4 > ea:51:d7:0c:95:1a/);
      expect(lines[2]).toMatch(/^0\.000000005 /);
    }
  });

  it("names each device's clock in its interface block (if_description, comment) when known", () => {
    const devices = ["/dev/pval/pval0-tx-cpu-0", "/dev/pval/pval0-rx-cpu-0"];
    const clocks = new Map([[devices[1]!, { name: "software-rx-stack", description: "CLOCK_REALTIME at receive" }]]);
    const header = new SlotPcapngWriter(devices, clocks).header();
    const v = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const text = new TextDecoder();
    const interfaces: Map<number, string>[] = [];
    for (let at = 0; at < header.length; at += v.getUint32(at + 4, true)) {
      if (v.getUint32(at, true) !== 1) continue;
      const opts = new Map<number, string>();
      const end = at + v.getUint32(at + 4, true) - 4;
      for (let o = at + 16; o + 4 <= end && v.getUint16(o, true) !== 0; ) {
        const len = v.getUint16(o + 2, true);
        opts.set(v.getUint16(o, true), text.decode(header.subarray(o + 4, o + 4 + len)));
        o += 4 + ((len + 3) & ~3);
      }
      interfaces.push(opts);
    }
    expect(interfaces.map((o) => o.get(2))).toEqual(devices);
    expect(interfaces[0]!.has(3)).toBe(false);
    expect(interfaces[0]!.has(1)).toBe(false);
    expect(interfaces[1]!.get(3)).toBe("timestamps: CLOCK_REALTIME at receive");
    expect(interfaces[1]!.get(1)).toBe("clock=software-rx-stack");
    expect(interfaces[1]!.get(9)).toBe("\t");

    const b = SlotBatch.allocate(1);
    b.write(0, { frame: frame(20, 2), tstamp: 7n });
    const path = join(dir, "clock.pcapng");
    writeFileSync(path, concat([header, new SlotPcapngWriter(devices, clocks).records(b, 1, devices[1]!)]));
    expect(readAll(path).map((s) => s.tstamp)).toEqual([7n]);
  });

  it("declares the slots' 256 bytes as snaplen and marks RX packets inbound, TX outbound", () => {
    const devices = [
      { path: "/dev/pval/pval0-tx-cpu-0", direction: "tx" as const },
      { path: "/dev/pval/pval0-rx-cpu-0", direction: "rx" as const },
      "/dev/pval/other",
    ];
    const w = new SlotPcapngWriter(devices);
    const b = SlotBatch.allocate(1);
    b.write(0, { frame: frame(10, 0), tstamp: 9n });
    const path = join(dir, "dir.pcapng");
    writeFileSync(
      path,
      concat([
        w.header(),
        w.records(b, 1, "/dev/pval/pval0-tx-cpu-0"),
        w.records(b, 1, "/dev/pval/pval0-rx-cpu-0"),
        w.records(b, 1, "/dev/pval/other"),
      ]),
    );
    const reader = new CaptureReader();
    const directions: (string | undefined)[] = [];
    reader.feed(readFileSync(path), (r) => directions.push(r.direction));
    reader.end();
    expect(directions).toEqual(["out", "in", undefined]);
    expect(reader.interfaces.map((i) => i.snaplen)).toEqual([256, 256, 256]);
    expect(readAll(path).map((s) => s.tstamp)).toEqual([9n, 9n, 9n]);
  });

  it("refuses a device it has no interface for, and an empty or duplicate list", () => {
    const w = new SlotPcapngWriter(["/dev/pval/pval0-tx-cpu-0"]);
    expect(() => w.records(SlotBatch.allocate(1), 1, "/dev/pval/pval0-rx-cpu-0")).toThrow(/no interface/);
    expect(() => new SlotPcapngWriter([])).toThrow(RangeError);
    expect(() => new SlotPcapngWriter(["a", "a"])).toThrow(/twice/);
  });
});

describe("slots read from captures", () => {
  it("takes ns timestamps and the first 256 bytes from pcap and pcapng, in batches", () => {
    const big = frame(600, 0);
    const small = frame(4, 1);
    const pcap = join(dir, "in.pcap");
    writeFileSync(
      pcap,
      concat([
        pcapFileHeader({ precision: "nano" }),
        pcapRecord({ tsSec: 1764084245, tsNsec: 596047123, data: big }, "nano"),
        pcapRecord({ tsSec: 1, tsNsec: 2, data: small }, "nano"),
        pcapRecord({ tsSec: 3, tsNsec: 0, data: small.subarray(0, 20), origlen: small.length }, "nano"),
      ]),
    );
    const fromPcap = readAll(pcap, 2);
    expect(fromPcap.map((s) => s.tstamp)).toEqual([1764084245596047123n, 1_000_000_002n, 3_000_000_000n]);
    expect(fromPcap[0]!.pkt).toEqual(big.subarray(0, 256));
    expect(fromPcap[0]!.pktlen).toBe(big.length);
    expect(fromPcap[2]!.pkt.length).toBe(20);
    expect(fromPcap[2]!.pktlen).toBe(small.length);

    const ng = join(dir, "in.pcapng");
    writeFileSync(ng, concat([pcapngFileHeader(), pcapngRecord({ tsSec: 7, tsNsec: 8, data: small })]));
    expect(readAll(ng).map((s) => s.tstamp)).toEqual([7_000_000_008n]);
  });

  it("stops when the callback says so", () => {
    const path = join(dir, "many.pcap");
    const records = Array.from({ length: 10 }, (_, i) => pcapRecord({ tsSec: i, tsNsec: 0, data: frame(1, i) }));
    writeFileSync(path, concat([pcapFileHeader(), ...records]));
    let batches = 0;
    readCaptureSlots(
      path,
      () => {
        batches++;
        return false;
      },
      3,
    );
    expect(batches).toBe(1);
  });

  it("refuses a capture that is not Ethernet", () => {
    const path = join(dir, "raw.pcap");
    writeFileSync(
      path,
      concat([pcapFileHeader({ linktype: 101 }), pcapRecord({ tsSec: 0, tsNsec: 0, data: frame(1, 0) })]),
    );
    expect(() => readAll(path)).toThrow(/link type 101 is not Ethernet/);
  });
});
