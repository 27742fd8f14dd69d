import { encodeFrame, type FrameSpec, ipv4FromString, SlotBatch, TcpFlag } from "@pval/decode";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SlotPrinter, u64ToDecimal } from "./slot-format.js";

const macBytes = (s: string): Uint8Array => Uint8Array.from(s.split(":").map((h) => Number.parseInt(h, 16)));

// The walkthrough's hosts: 10.0.0.2 (08:00:27:19:12:a4) pings 10.0.0.3 (pval0, ea:51:d7:0c:95:1a).
const PEER = macBytes("08:00:27:19:12:a4");
const PVAL0 = macBytes("ea:51:d7:0c:95:1a");

const echoRequest: FrameSpec = {
  ethernet: { src: PEER, dst: PVAL0 },
  ipv4: { src: ipv4FromString("10.0.0.2"), dst: ipv4FromString("10.0.0.3"), df: true, id: 48565 },
  icmp: { type: 8, id: 21554, sequence: 1636 },
  payload: new Uint8Array(56),
};
const echoReply: FrameSpec = {
  ethernet: { src: PVAL0, dst: PEER },
  ipv4: {
    src: ipv4FromString("10.0.0.3"),
    dst: ipv4FromString("10.0.0.2"),
    options: [{ kind: "pval", cpu: 0, seq: 46n }],
  },
  icmp: { type: 0, id: 21554, sequence: 1636 },
  payload: new Uint8Array(56),
};
const arpRequest: FrameSpec = {
  ethernet: { src: PVAL0, dst: PEER },
  arp: {
    op: 1,
    sha: PVAL0,
    spa: Uint8Array.of(10, 0, 0, 3),
    tha: new Uint8Array(6),
    tpa: Uint8Array.of(10, 0, 0, 2),
  },
};
const tcpSyn: FrameSpec = {
  ethernet: { src: PEER, dst: PVAL0 },
  ipv4: { src: ipv4FromString("10.0.0.2"), dst: ipv4FromString("10.0.0.3") },
  tcp: { srcPort: 40000, dstPort: 80, flags: TcpFlag.SYN },
};
const tcpPshAckFin: FrameSpec = {
  ethernet: { src: PVAL0, dst: PEER },
  ipv4: {
    src: ipv4FromString("10.0.0.3"),
    dst: ipv4FromString("10.0.0.2"),
    options: [{ kind: "pval", cpu: 1, seq: 7n }],
  },
  tcp: { srcPort: 80, dstPort: 40000, flags: TcpFlag.PSH | TcpFlag.ACK | TcpFlag.FIN },
  payload: new Uint8Array(10),
};

function batchOf(frames: Uint8Array[], tstamps: bigint[] = []): SlotBatch {
  const b = SlotBatch.allocate(frames.length);
  frames.forEach((frame, i) => {
    b.write(i, { frame, tstamp: tstamps[i] ?? 0n });
  });
  return b;
}

const DEV = "/dev/pval/pval0-rx-cpu-0";

describe("dump-one", () => {
  it("prints the walkthrough's lines", () => {
    const p = new SlotPrinter("dump-one");
    const rx = batchOf([encodeFrame(echoRequest), encodeFrame(echoRequest)]);
    expect(p.lines(rx)).toBe(
      "0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 10.0.0.2 -> 10.0.0.3\n" +
        "0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 10.0.0.2 -> 10.0.0.3\n",
    );
    const tx = batchOf([encodeFrame(arpRequest), encodeFrame(echoReply)]);
    expect(p.lines(tx)).toBe(
      "0 ea:51:d7:0c:95:1a -> 08:00:27:19:12:a4 Type0806\n" +
        "0 ea:51:d7:0c:95:1a -> 08:00:27:19:12:a4 Type0800, 10.0.0.3 -> 10.0.0.2\n",
    );
  });

  it("prints 64-bit timestamps exactly", () => {
    const p = new SlotPrinter("dump-one");
    const ts = 1764084245596047123n; // a CLOCK_REALTIME ns value, above 2^53
    const b = batchOf([encodeFrame(arpRequest)], [ts]);
    expect(p.line(b, 0)).toBe(`${ts} ea:51:d7:0c:95:1a -> 08:00:27:19:12:a4 Type0806`);
    expect(u64ToDecimal(0xffffffff, 0xffffffff)).toBe("18446744073709551615");
    expect(u64ToDecimal(0x1fffff, 0xffffffff)).toBe(String(2 ** 53 - 1));
    expect(u64ToDecimal(0x200000, 0)).toBe(String(2n ** 53n));
  });

  it("writes every u64 in decimal as BigInt does", () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      // A boolean property: fast-check reports the failing pair itself.
      fc.property(u32, u32, (hi, lo) => u64ToDecimal(hi, lo) === ((BigInt(hi) << 32n) | BigInt(lo)).toString()),
      { numRuns: 20_000 },
    );
  });

  it("shows the outer ethertype of a VLAN-tagged frame and nothing more, as the original", () => {
    const tagged = encodeFrame({ ...echoRequest, vlans: [{ vid: 5 }] });
    const b = batchOf([tagged]);
    expect(new SlotPrinter("dump-one").line(b, 0)).toBe("0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type8100");
    expect(new SlotPrinter("dump-multi").line(b, 0, { device: DEV })).toBe(
      `${DEV}: TS=0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type 0x8100 `,
    );
    expect(new SlotPrinter("look-tcp").line(b, 0, { device: DEV })).toBe(
      `${DEV} TS=0 PKTLEN=${tagged.length} ETHER_TYPE=0x8100 `,
    );
    // The decoded detail is in the JSON: the inner ethertype and the tag count.
    expect(JSON.parse(new SlotPrinter("json").line(b, 0))).toMatchObject({ ethertype: 0x0800, vlans: 1 });
  });

  it("reads the bytes a short frame lacks as zero, never the slot's stale bytes", () => {
    const frame = encodeFrame(echoRequest);
    const p = new SlotPrinter("dump-one");
    for (let len = 0; len <= frame.length; len++) {
      const b = SlotBatch.allocate(1);
      b.write(0, { frame: frame.subarray(0, len), pktlen: frame.length });
      // Bytes past `len` are poison: a printer that reads them would show them.
      b.bytes.fill(0xff, b.pktOffset(0) + len, b.pktOffset(0) + 256);
      const padded = new Uint8Array(256);
      padded.set(frame.subarray(0, len));
      expect(p.line(b, 0), `len ${len}`).toBe(reference("dump-one", padded, 0n, frame.length, ""));
    }
    const b = SlotBatch.allocate(1);
    b.write(0, { frame: frame.subarray(0, 20), pktlen: frame.length });
    expect(p.line(b, 0)).toBe("0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 0.0.0.0 -> 0.0.0.0");
  });

  it("prints a slot whose len is impossible from its 256 bytes, as the original", () => {
    const b = batchOf([encodeFrame(echoRequest)]);
    b.view.setUint16(b.offsetOf(0), 300, true); // len > 256
    expect(new SlotPrinter("dump-one").line(b, 0)).toBe(
      "0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 10.0.0.2 -> 10.0.0.3",
    );
    expect(new SlotPrinter("look-tcp").line(b, 0, { device: DEV })).toBe(
      `${DEV} TS=0 PKTLEN=98 ETHER_TYPE=0x0800 IP_PROTO=1 `,
    );
    expect(JSON.parse(new SlotPrinter("json").line(b, 0))).toMatchObject({ invalid: "slot", len: 300 });
  });

  it("prints the addresses under ethertype 0x0800 whatever the IPv4 header says", () => {
    const frame = encodeFrame(echoRequest);
    frame[14] = 0x65; // version 6 under ethertype 0x0800
    expect(new SlotPrinter("dump-one").line(batchOf([frame]), 0)).toBe(
      "0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 10.0.0.2 -> 10.0.0.3",
    );
  });

  it("prints every frame as the reference model does", () => {
    const formats = ["dump-one", "dump-multi", "look-tcp"] as const;
    const printers = formats.map((f) => new SlotPrinter(f));
    const frameArb = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 256 }),
      // Mostly IPv4 and TCP under ethertype 0x0800, so the later fields are reached.
      fc
        .tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ minLength: 0, maxLength: 120 }))
        .map(([macs, rest]) => Uint8Array.from([...macs, 0x08, 0x00, ...rest])),
      fc
        .tuple(
          fc.uint8Array({ minLength: 12, maxLength: 12 }),
          fc.integer({ min: 0, max: 15 }),
          fc.uint8Array({ maxLength: 100 }),
        )
        .map(([macs, ihl, rest]) => {
          const f = Uint8Array.from([...macs, 0x08, 0x00, 0x40 | ihl, ...new Uint8Array(8), 6, ...rest]);
          return f.subarray(0, Math.min(f.length, 256));
        }),
    );
    fc.assert(
      fc.property(frameArb, fc.bigUint64Array({ minLength: 1, maxLength: 1 }), fc.nat(), (frame, [ts], pktlen) => {
        const b = SlotBatch.allocate(1);
        b.write(0, { frame, pktlen: Math.max(pktlen, frame.length), tstamp: ts! });
        const padded = new Uint8Array(256);
        padded.set(frame);
        return formats.every(
          (f, k) =>
            printers[k]!.line(b, 0, { device: DEV }) === reference(f, padded, ts!, Math.max(pktlen, frame.length), DEV),
        );
      }),
      { numRuns: 5000 },
    );
  });
});

/**
 * The reference tools' lines, written plainly from what they print: the
 * outer Ethernet header, IPv4 addresses under 0x0800, the TCP flags where
 * the IHL points; `pkt` is the slot's 256 bytes, zero past the frame.
 */
function reference(
  format: "dump-one" | "dump-multi" | "look-tcp",
  pkt: Uint8Array,
  ts: bigint,
  pktlen: number,
  dev: string,
): string {
  const hex2 = (b: number) => b.toString(16).padStart(2, "0");
  const mac = (at: number) => Array.from(pkt.subarray(at, at + 6), hex2).join(":");
  const ip = (at: number) => Array.from(pkt.subarray(at, at + 4)).join(".");
  const type = (pkt[12]! << 8) | pkt[13]!;
  const type4 = type.toString(16).padStart(4, "0");
  const isIp = type === 0x0800;
  if (format === "dump-one")
    return `${ts} ${mac(6)} -> ${mac(0)} Type${type4}${isIp ? `, ${ip(26)} -> ${ip(30)}` : ""}`;
  if (format === "dump-multi")
    return `${dev}: TS=${ts} ${mac(6)} -> ${mac(0)} Type 0x${type4} ${isIp ? `${ip(26)} -> ${ip(30)}` : ""}`;
  let line = `${dev} TS=${ts} PKTLEN=${pktlen} ETHER_TYPE=0x${type4} `;
  if (!isIp) return line;
  line += `IP_PROTO=${pkt[23]} `;
  if (pkt[23] !== 6) return line;
  const flags = pkt[14 + ((pkt[14]! & 15) << 2) + 13]!;
  const bit = (m: number) => (flags & m ? 1 : 0);
  return `${line}SYN=${bit(2)} ACK=${bit(16)} PSH=${bit(8)} RST=${bit(4)} FIN=${bit(1)}`;
}

describe("dump-multi", () => {
  it("prefixes the device with a colon and TS=, and writes the type as 0x with a space after", () => {
    const b = batchOf([encodeFrame(echoRequest), encodeFrame(arpRequest)], [5n, 6n]);
    expect(new SlotPrinter("dump-multi").lines(b, { device: DEV })).toBe(
      `${DEV}: TS=5 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type 0x0800 10.0.0.2 -> 10.0.0.3\n` +
        `${DEV}: TS=6 ea:51:d7:0c:95:1a -> 08:00:27:19:12:a4 Type 0x0806 \n`,
    );
  });
});

describe("look-tcp", () => {
  it("prints PKTLEN, ETHER_TYPE, IP_PROTO and the TCP flags", () => {
    const frames = [encodeFrame(tcpSyn), encodeFrame(tcpPshAckFin), encodeFrame(echoRequest), encodeFrame(arpRequest)];
    const p = new SlotPrinter("look-tcp");
    expect(p.lines(batchOf(frames, [1n, 2n, 3n, 4n]), { device: DEV }).split("\n")).toEqual([
      `${DEV} TS=1 PKTLEN=54 ETHER_TYPE=0x0800 IP_PROTO=6 SYN=1 ACK=0 PSH=0 RST=0 FIN=0`,
      `${DEV} TS=2 PKTLEN=76 ETHER_TYPE=0x0800 IP_PROTO=6 SYN=0 ACK=1 PSH=1 RST=0 FIN=1`,
      `${DEV} TS=3 PKTLEN=98 ETHER_TYPE=0x0800 IP_PROTO=1 `,
      `${DEV} TS=4 PKTLEN=42 ETHER_TYPE=0x0806 `,
      "",
    ]);
  });

  it("finds the TCP header after IPv4 options; a cut one reads as zero flags", () => {
    const frame = encodeFrame(tcpPshAckFin); // IHL 8: 12 option bytes
    const flagsAt = 14 + 32 + 13;
    const p = new SlotPrinter("look-tcp");
    const cut = SlotBatch.allocate(1);
    cut.write(0, { frame: frame.subarray(0, flagsAt), pktlen: frame.length });
    expect(p.line(cut, 0, { device: DEV })).toBe(
      `${DEV} TS=0 PKTLEN=76 ETHER_TYPE=0x0800 IP_PROTO=6 SYN=0 ACK=0 PSH=0 RST=0 FIN=0`,
    );
    const whole = SlotBatch.allocate(1);
    whole.write(0, { frame: frame.subarray(0, flagsAt + 1), pktlen: frame.length });
    expect(p.line(whole, 0, { device: DEV })).toMatch(/SYN=0 ACK=1 PSH=1 RST=0 FIN=1$/);
  });
});

describe("json", () => {
  it("prints one object per slot with raw values", () => {
    const b = batchOf([encodeFrame(echoReply), encodeFrame(arpRequest)], [1764084245596047123n, 0n]);
    const lines = new SlotPrinter("json").lines(b, { device: DEV, direction: "tx", cpu: 0 }).trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        device: DEV,
        direction: "tx",
        cpu: 0,
        tstamp: "1764084245596047123",
        len: 110,
        pktlen: 110,
        src: "ea:51:d7:0c:95:1a",
        dst: "08:00:27:19:12:a4",
        ethertype: 0x0800,
        ipSrc: "10.0.0.3",
        ipDst: "10.0.0.2",
        ipProto: 1,
        pval: { cpu: 0, seq: "46" },
      },
      {
        device: DEV,
        direction: "tx",
        cpu: 0,
        tstamp: "0",
        len: 42,
        pktlen: 42,
        src: "ea:51:d7:0c:95:1a",
        dst: "08:00:27:19:12:a4",
        ethertype: 0x0806,
      },
    ]);
  });

  it("names the clock when the source has one, and changes it with the source", () => {
    const b = batchOf([encodeFrame(arpRequest)], [5n]);
    const p = new SlotPrinter("json");
    const rx = JSON.parse(p.line(b, 0, { device: DEV, direction: "rx", cpu: 0, clock: "software-rx-stack" }));
    expect(rx).toMatchObject({ direction: "rx", clock: "software-rx-stack", tstamp: "5" });
    expect(Object.keys(rx).slice(0, 5)).toEqual(["device", "direction", "cpu", "clock", "tstamp"]);
    const tx = JSON.parse(p.line(b, 0, { device: DEV, direction: "rx", cpu: 0, clock: "none" }));
    expect(tx.clock).toBe("none");
    expect(JSON.parse(p.line(b, 0, { device: DEV, direction: "rx", cpu: 0 }))).not.toHaveProperty("clock");
  });

  it("stays valid JSON for any stored length and an odd device name", () => {
    const frame = encodeFrame(tcpPshAckFin);
    const p = new SlotPrinter("json");
    for (let len = 0; len <= frame.length; len++) {
      const b = SlotBatch.allocate(1);
      b.write(0, { frame: frame.subarray(0, len), pktlen: frame.length });
      const o = JSON.parse(p.line(b, 0, { device: 'a "quoted"\\path', direction: "rx", cpu: 3 }));
      expect(o).toMatchObject({ device: 'a "quoted"\\path', direction: "rx", cpu: 3, len });
      if (len >= 14 + 32 + 14) expect(o.tcpFlags).toBe(TcpFlag.PSH | TcpFlag.ACK | TcpFlag.FIN);
      if (len < 14 + 32) expect(o.pval).toBeUndefined();
    }
  });
});

it("refuses an unknown format", () => {
  expect(() => new SlotPrinter("dump-two" as never)).toThrow(/unknown slot format "dump-two"/);
});
