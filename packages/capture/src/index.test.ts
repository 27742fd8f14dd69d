import { execFileSync, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  batchPackets,
  compileFilter,
  DLT_EN10MB,
  DLT_LINUX_SLL,
  DLT_LINUX_SLL2,
  FilterError,
  interfaceName,
  type LivePacket,
  linktypeName,
  openCapture,
} from "./index.js";

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
    expect(got.map((p) => [p.linktype, p.tsSec, p.tsNsec, [...p.data], p.origlen])).toEqual([
      [1, 2 ** 33 + 5, 999999999, [1, 2, 3], 60],
      [1, 7, 0, [4, 5, 6, 7, 8], 5],
    ]);
    expect([...batchPackets(batch([{ sec: 1, nsec: 2, data: [9], origlen: 1 }]), DLT_LINUX_SLL2)][0]!.linktype).toBe(
      DLT_LINUX_SLL2,
    );
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
    expect(() => openCapture(B, { filter: "icmp and and" })).toThrow(FilterError);
    expect(() => openCapture(B, { filter: "icmp and and" })).toThrow(
      /^filter "icmp and and": can't parse filter expression: syntax error$/,
    );
  });
});

describe.runIf(isRoot)("errors", () => {
  it("names a missing interface", () => {
    expect(() => openCapture("nosuchdev0")).toThrow(/nosuchdev0/);
  });
});

// Frames for the offline filters: an IPv4 packet (ICMP echo or TCP SYN)
// from 10.1.2.3 to 10.1.2.4 behind an Ethernet, Linux cooked or cooked v2 header.
function ipv4(proto: number, payload: number[]): number[] {
  const total = 20 + payload.length;
  return [0x45, 0, total >> 8, total & 0xff, 0, 1, 0, 0, 64, proto, 0, 0, 10, 1, 2, 3, 10, 1, 2, 4, ...payload];
}
const ICMP = ipv4(1, [8, 0, 0, 0, 0, 7, 0, 1, ...new Array<number>(56).fill(0x61)]);
const TCP = ipv4(6, [0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
const MAC = [2, 0, 0, 0, 0, 1];
const ether = (ip: number[]) => Uint8Array.from([...MAC, 2, 0, 0, 0, 0, 2, 0x08, 0x00, ...ip]);
// SLL: packet type 4 (outgoing), ARPHRD_ETHER, address length 6, address padded to 8, protocol.
const sll = (ip: number[]) => Uint8Array.from([0, 4, 0, 1, 0, 6, ...MAC, 0, 0, 0x08, 0x00, ...ip]);
// SLL2: protocol, reserved, ifindex 7, ARPHRD_ETHER, packet type 0 (host), address length 6, address.
const sll2 = (ip: number[]) => Uint8Array.from([0x08, 0x00, 0, 0, 0, 0, 0, 7, 0, 1, 0, 6, ...MAC, 0, 0, ...ip]);

describe("compileFilter", () => {
  it.each([
    ["Ethernet", DLT_EN10MB, ether],
    ["Linux cooked", DLT_LINUX_SLL, sll],
    ["Linux cooked v2", DLT_LINUX_SLL2, sll2],
  ] as const)("tells ICMP from TCP behind %s headers", (_name, linktype, frame) => {
    const icmp = compileFilter("icmp", linktype);
    expect(icmp.matches(frame(ICMP))).toBe(true);
    expect(icmp.matches(frame(TCP))).toBe(false);
    const syn = compileFilter("tcp[tcpflags] & tcp-syn != 0 and dst port 80 and src host 10.1.2.3", linktype);
    expect(syn.matches(frame(TCP))).toBe(true);
    expect(syn.matches(frame(ICMP))).toBe(false);
  });

  it("reads the link-layer header of each link type", () => {
    expect(compileFilter("inbound", DLT_LINUX_SLL).matches(sll(ICMP))).toBe(false);
    expect(compileFilter("outbound", DLT_LINUX_SLL).matches(sll(ICMP))).toBe(true);
    expect(compileFilter("inbound", DLT_LINUX_SLL2).matches(sll2(ICMP))).toBe(true);
    expect(compileFilter("ifindex 7", DLT_LINUX_SLL2).matches(sll2(ICMP))).toBe(true);
    expect(compileFilter("ifindex 8", DLT_LINUX_SLL2).matches(sll2(ICMP))).toBe(false);
    expect(compileFilter("ether src 2:0:0:0:0:2", DLT_EN10MB).matches(ether(ICMP))).toBe(true);
  });

  it("an empty expression passes everything", () => {
    expect(compileFilter("", DLT_EN10MB).matches(ether(TCP))).toBe(true);
  });

  it("compares against the length on the wire, and reads only the captured bytes", () => {
    const f = compileFilter("greater 1000", DLT_EN10MB);
    const frame = ether(ICMP);
    expect(f.matches(frame)).toBe(false);
    expect(f.matches(frame, 1500)).toBe(true);
    // Cut before the protocol byte, the packet cannot be ICMP.
    expect(compileFilter("icmp", DLT_EN10MB).matches(frame.subarray(0, 20), 98)).toBe(false);
  });

  it("matchesAt reads the packet inside a larger buffer", () => {
    const f = compileFilter("icmp", DLT_EN10MB);
    const a = ether(TCP);
    const b = ether(ICMP);
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    expect(f.matchesAt(both, 0, a.length, a.length)).toBe(false);
    expect(f.matchesAt(both, a.length, b.length, b.length)).toBe(true);
    expect(() => f.matchesAt(both, a.length, b.length + 1, b.length)).toThrow(RangeError);
  });

  it("throws FilterError with libpcap's message", () => {
    let err: unknown;
    try {
      compileFilter("icmp and and", DLT_EN10MB);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterError);
    expect((err as FilterError).expression).toBe("icmp and and");
    expect((err as FilterError).reason).toBe("can't parse filter expression: syntax error");
    expect((err as FilterError).message).toBe(`filter "icmp and and": can't parse filter expression: syntax error`);
    // An expression that does not apply to the link type.
    expect(() => compileFilter("ether host 1:2:3:4:5:6", DLT_LINUX_SLL)).toThrow(
      /^filter "ether host 1:2:3:4:5:6": ethernet addresses supported only on ethernet/,
    );
    expect(() => compileFilter("port 99999", DLT_EN10MB)).toThrow(
      'filter "port 99999": illegal port number 99999 > 65535',
    );
  });

  it("rejects bad arguments before libpcap sees them", () => {
    expect(() => compileFilter("icmp", -1)).toThrow(/link type -1/);
    expect(() => compileFilter("icmp", DLT_EN10MB, 0)).toThrow(/snaplen 0/);
  });
});

describe("interface and link-type names", () => {
  it("names interface 1 (loopback) and no interface 0", () => {
    expect(interfaceName(1)).toBe("lo");
    expect(interfaceName(0)).toBeUndefined();
    expect(interfaceName(2 ** 31 + 5)).toBeUndefined();
  });
  it("names the link types as libpcap does", () => {
    expect(linktypeName(DLT_LINUX_SLL2)).toEqual({ name: "LINUX_SLL2", description: "Linux cooked v2" });
    expect(linktypeName(DLT_LINUX_SLL)).toEqual({ name: "LINUX_SLL", description: "Linux cooked v1" });
    expect(linktypeName(DLT_EN10MB)?.name).toBe("EN10MB");
    expect(linktypeName(65000)).toBeUndefined();
  });
});

// Live capture on the loopback device and on `any`: pings to an address of
// 127/8 that nothing else uses, so the filter sees only them.
const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));

function pingLo(addr: string, count: number): void {
  execFileSync("ping", ["-c", String(count), "-i", "0.05", "-W", "1", "-q", addr], { stdio: "ignore" });
}

describe.runIf(isRoot)("live capture on lo and any", () => {
  it("break in a for await loop closes the handle: the process exits", () => {
    // The child captures on lo, takes one packet and breaks; if the handle
    // stayed open, its poll watcher would keep the process alive until the timeout.
    const script = `
      import { openCapture } from ${JSON.stringify(DIST)};
      import { execFile } from "node:child_process";
      const capture = openCapture("lo", { filter: "icmp and host 127.0.0.91" });
      const ping = setInterval(() => execFile("ping", ["-c", "1", "-W", "1", "127.0.0.91"], () => {}), 100);
      let n = 0;
      for await (const p of capture) { n++; break; }
      clearInterval(ping);
      console.log("took", n, "linktype", capture.linktype);
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 8000 });
    expect(r.signal, "the child had to be killed: the capture kept it alive").toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("took 1 linktype 1");
  });

  it("return() ends a pending read and closes the handle", async () => {
    const capture = openCapture("lo", { filter: "udp port 9 and host 127.0.0.92" });
    const it = capture[Symbol.asyncIterator]();
    const pending = it.next();
    await it.return?.();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
    expect(() => capture.stats()).not.toThrow();
  });

  it("holds at most queueLimit packets and counts the rest as dropped", async () => {
    const capture = openCapture("lo", { filter: "icmp and host 127.0.0.93", queueLimit: 3 });
    const it = capture[Symbol.asyncIterator]();
    // Nobody reads while 5 echo requests and 5 replies arrive.
    pingLo("127.0.0.93", 5);
    await new Promise((r) => setTimeout(r, 300));
    const before = capture.stats();
    // The kernel sees each packet on lo twice (out and in): libpcap keeps one.
    expect(before.received).toBeGreaterThanOrEqual(10);
    expect(before.queueDropped).toBe(7);
    const got: LivePacket[] = [];
    for (;;) {
      const r = await Promise.race([it.next(), new Promise<null>((res) => setTimeout(() => res(null), 200))]);
      if (r === null || r.done) break;
      got.push(r.value);
    }
    capture.close();
    expect(got).toHaveLength(3);
    // The first three in order: request, reply, request.
    expect(got.map((p) => p.data[14 + 20])).toEqual([8, 0, 8]);
    expect(capture.stats()).toEqual({ ...before, queueDropped: 7 });
  });

  it("captures on any as Linux cooked v2 when asked, as tcpdump -i any does", async () => {
    const capture = openCapture("any", { filter: "icmp and host 127.0.0.94", linktype: DLT_LINUX_SLL2 });
    expect(capture.linktype).toBe(DLT_LINUX_SLL2);
    const timer = setTimeout(() => capture.close(), 5000);
    setTimeout(() => pingLo("127.0.0.94", 1), 50);
    const got: LivePacket[] = [];
    for await (const p of capture) {
      got.push(p);
      if (got.length === 2) break;
    }
    clearTimeout(timer);
    expect(got).toHaveLength(2);
    for (const p of got) {
      expect(p.linktype).toBe(DLT_LINUX_SLL2);
      const v = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
      expect(v.getUint16(0)).toBe(0x0800); // protocol
      expect(v.getUint32(4)).toBe(1); // ifindex of lo
      expect(p.data[20 + 9]).toBe(1); // IPv4 protocol ICMP
    }
    expect(compileFilter("icmp and host 127.0.0.94", DLT_LINUX_SLL2).matches(got[0]!.data, got[0]!.origlen)).toBe(true);
  });

  it("captures on any as Linux cooked v1 by default", () => {
    const capture = openCapture("any", { filter: "icmp" });
    expect(capture.linktype).toBe(DLT_LINUX_SLL);
    capture.close();
    expect(capture.linktype).toBe(DLT_LINUX_SLL);
    expect(capture.stats().queueDropped).toBe(0);
  });

  it("names a link type the device cannot give", () => {
    expect(() => openCapture("lo", { linktype: 105 })).toThrow(
      /^lo: IEEE802_11 is not one of the DLTs supported by this device$/,
    );
  });
});
