import { execFileSync, spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchPackets, CaptureClosedError, type LivePacket, openCapture } from "./index.js";

const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function batch(packets: { sec: number; nsec: number; data: number[]; origlen: number }[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const p of packets) {
    const h = Buffer.alloc(20);
    const w = (v: number, at: number) => (LE ? h.writeUInt32LE(v, at) : h.writeUInt32BE(v, at));
    w(Math.floor(p.sec / 4294967296), 0);
    w(p.sec >>> 0, 4);
    w(p.nsec, 8);
    w(p.data.length, 12);
    w(p.origlen, 16);
    parts.push(h, Buffer.from(p.data), Buffer.alloc((4 - (p.data.length % 4)) % 4));
  }
  return Buffer.concat(parts);
}

describe("batchPackets", () => {
  it("splits a batch, padding included, with 64-bit seconds", () => {
    const got = [
      ...batchPackets(
        batch([
          { sec: 2 ** 33 + 5, nsec: 999999999, data: [1, 2, 3], origlen: 60 },
          { sec: 7, nsec: 0, data: [4, 5, 6, 7, 8], origlen: 5 },
        ]),
      ),
    ];
    expect(got.map((p) => [p.tsSec, p.tsNsec, [...p.data], p.origlen])).toEqual([
      [2 ** 33 + 5, 999999999, [1, 2, 3], 60],
      [7, 0, [4, 5, 6, 7, 8], 5],
    ]);
  });

  it("rejects a packet that overruns the batch", () => {
    const b = batch([{ sec: 1, nsec: 1, data: [1, 2, 3, 4], origlen: 4 }]);
    expect(() => [...batchPackets(b.subarray(0, 22))]).toThrow(/overruns the batch/);
  });
});

// Live tests need root (CAP_NET_RAW and veth pairs), like tcpdump itself.
const isRoot = process.getuid?.() === 0 && spawnSync("ip", ["-V"]).status === 0;
const A = `pvcap${process.pid % 10000}a`;
const B = `pvcap${process.pid % 10000}b`;

describe.runIf(isRoot)("live capture on a veth pair", () => {
  beforeAll(() => {
    execFileSync("ip", ["link", "add", A, "type", "veth", "peer", "name", B]);
    execFileSync("ip", ["link", "set", A, "up"]);
    execFileSync("ip", ["link", "set", B, "up"]);
    execFileSync("ip", ["addr", "add", "10.99.7.1/24", "dev", A]);
  });
  afterAll(() => {
    spawnSync("ip", ["link", "del", A]);
  });

  it("delivers the ARP requests a ping sends, through a tcpdump filter", async () => {
    const capture = openCapture(B, { filter: "arp and host 10.99.7.2" });
    expect(capture.linktype).toBe(1);
    const got: LivePacket[] = [];
    const ping = spawn("ping", ["-c", "3", "-i", "0.3", "-W", "1", "-I", A, "10.99.7.2"], { stdio: "ignore" });
    const timer = setTimeout(() => capture.close(), 5000);
    for await (const p of capture) {
      got.push(p);
      if (got.length === 2) break;
    }
    clearTimeout(timer);
    capture.close();
    ping.kill();
    expect(got.length).toBe(2);
    const arp = got[0]!;
    expect((arp.data[12]! << 8) | arp.data[13]!).toBe(0x0806);
    expect([...arp.data.subarray(38, 42)]).toEqual([10, 99, 7, 2]);
    expect(arp.tsSec).toBeGreaterThan(1_600_000_000);
  });

  it("ends a pending iterator on close()", async () => {
    const capture = openCapture(B, { filter: "udp port 9" });
    setTimeout(() => capture.close(), 200);
    const got: LivePacket[] = [];
    for await (const p of capture) got.push(p);
    expect(got).toEqual([]);
    capture.close();
  });

  it("names a bad filter expression", () => {
    expect(() => openCapture(B, { filter: "icmp and and" })).toThrow(/filter "icmp and and"/);
  });
});

describe.runIf(isRoot)("errors", () => {
  it("names a missing interface", () => {
    expect(() => openCapture("nosuchdev0")).toThrow(/nosuchdev0/);
  });
});

it("exports a recognisable closed error", () => {
  expect(new CaptureClosedError().code).toBe("ECAPTURECLOSED");
});
