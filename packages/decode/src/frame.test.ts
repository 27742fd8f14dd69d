import { describe, expect, it } from "vitest";
import { catchError } from "../test/catch-error.js";
import { verifyChecksums } from "./checksum.js";
import { encodeFrame, encodePacket } from "./encode.js";
import { DecodeError, NeedMoreBytesError } from "./errors.js";
import { ipv4FromString, ipv4ToString, macToString } from "./format.js";
import { decodeFrame, decodeFrameStrict, decodePacket, decodeSlot, type Frame, TcpFlag } from "./frame.js";
import { SlotBatch } from "./slots.js";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

// The echo reply of the walkthrough (tcpdump: "id 2758, ... proto ICMP (1), length 96,
// options (pval cpu 0, seq 46)", "10.0.0.3 > 10.0.0.2: ICMP echo reply, id 21554, seq 1636,
// length 64"), written out byte by byte; the checksums were computed separately.
const WALKTHROUGH_REPLY = hex(`
  080027 1912a4 ea51d70c951a 0800
  48 00 0060 0ac6 0000 40 01 4cc6 0a000003 0a000002
  de 0c 00 00 2e00000000000000
  00 00 ec94 5432 0664
  101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f4041424344454647`);

const ethernet = { dst: hex("080027 1912a4"), src: hex("ea51d70c951a") };
const A = ipv4FromString("10.0.0.2");
const B = ipv4FromString("10.0.0.3");

describe("decodeFrame: the walkthrough's frames", () => {
  it("decodes the echo reply with option 222", () => {
    const f = decodeFrame(WALKTHROUGH_REPLY);
    expect(macToString(f.ethernet!.src)).toBe("ea:51:d7:0c:95:1a");
    expect(macToString(f.ethernet!.dst)).toBe("08:00:27:19:12:a4");
    expect(f.ethertype).toBe(0x0800);
    expect(f.ipv4).toMatchObject({
      headerLength: 32,
      totalLength: 96,
      id: 2758,
      ttl: 64,
      protocol: 1,
      df: false,
      mf: false,
    });
    expect(ipv4ToString(f.ipv4!.src)).toBe("10.0.0.3");
    expect(ipv4ToString(f.ipv4!.dst)).toBe("10.0.0.2");
    expect(f.ipv4!.options).toHaveLength(1);
    expect(f.ipv4!.options[0]).toMatchObject({
      kind: "pval",
      type: 222,
      offset: 34,
      length: 12,
      reserved: 0,
      cpu: 0,
      seq: 46n,
    });
    expect(f.icmp).toMatchObject({ type: 0, code: 0, id: 21554, sequence: 1636, checksum: 0xec94 });
    expect(f.icmp!.payload.length).toBe(56);
    expect(f.payloadOffset).toBe(54);
    expect(f.truncated).toBeUndefined();
    expect(f.malformed).toBeUndefined();
    expect(verifyChecksums(WALKTHROUGH_REPLY, f)).toEqual({ ip: true, transport: true });
  });

  it("is what the builder makes of the same spec", () => {
    const built = encodeFrame({
      ethernet,
      ipv4: { src: B, dst: A, id: 2758, options: [{ kind: "pval", cpu: 0, seq: 46n }] },
      icmp: { type: 0, id: 21554, sequence: 1636 },
      payload: WALKTHROUGH_REPLY.subarray(54),
    });
    expect(Buffer.from(built).toString("hex")).toBe(Buffer.from(WALKTHROUGH_REPLY).toString("hex"));
  });

  it("decodes an ARP request", () => {
    const bytes = encodeFrame({
      ethernet: { dst: ethernet.src, src: ethernet.dst },
      arp: { op: 1, sha: ethernet.dst, spa: hex("0a000002"), tha: new Uint8Array(6), tpa: hex("0a000003") },
    });
    const f = decodeFrame(bytes);
    expect(f.ethertype).toBe(0x0806);
    expect(f.arp).toMatchObject({ htype: 1, ptype: 0x0800, hlen: 6, plen: 4, op: 1 });
    expect(Array.from(f.arp!.tpa)).toEqual([10, 0, 0, 3]);
    expect(f.ipv4).toBeUndefined();
  });

  it("decodes from a slot, with pktlen as the wire length", () => {
    const batch = SlotBatch.allocate(1);
    batch.write(0, { frame: WALKTHROUGH_REPLY, pktlen: 1514 });
    const f = decodeSlot(batch, 0);
    expect(f.captured).toBe(110);
    expect(f.wireLength).toBe(1514);
    expect(f.bytes.buffer).toBe(batch.bytes.buffer);
  });
});

describe("decodeFrame: layers", () => {
  it("reads 802.1ad and 802.1Q tags in order", () => {
    const f = decodeFrame(
      encodeFrame({
        ethernet,
        vlans: [{ tpid: 0x88a8, pcp: 5, dei: true, vid: 100 }, { vid: 4095 }],
        ipv4: { src: A, dst: B },
      }),
    );
    expect(f.ethernet!.type).toBe(0x88a8);
    expect(f.ethernet!.headerLength).toBe(22);
    expect(f.vlans).toEqual([
      { offset: 14, tpid: 0x88a8, pcp: 5, dei: true, vid: 100, type: 0x8100 },
      { offset: 18, tpid: 0x8100, pcp: 0, dei: false, vid: 4095, type: 0x0800 },
    ]);
    expect(f.ipv4!.offset).toBe(22);
  });

  it("parses every IPv4 option kind", () => {
    const f = decodeFrame(
      encodeFrame({
        ethernet,
        ipv4: {
          src: A,
          dst: B,
          options: [
            { kind: "nop" },
            { kind: "rr", pointer: 8, addresses: [A, 0] },
            {
              kind: "ts",
              flag: 1,
              pointer: 13,
              overflow: 2,
              entries: [
                { address: B, timestamp: 1000 },
                { address: 0, timestamp: 0 },
              ],
            },
            { kind: "ra", value: 0 },
          ],
        },
      }),
    );
    expect(f.ipv4!.options.map((o) => o.kind)).toEqual(["nop", "rr", "ts", "ra"]); // 36 bytes: no padding
    expect(f.ipv4!.options[1]).toMatchObject({ type: 7, length: 11, pointer: 8, addresses: [A, 0] });
    expect(f.ipv4!.options[2]).toMatchObject({
      type: 68,
      length: 20,
      overflow: 2,
      flag: 1,
      entries: [
        { address: B, timestamp: 1000 },
        { address: 0, timestamp: 0 },
      ],
    });
    expect(f.ipv4!.options[3]).toMatchObject({ type: 148, length: 4, value: 0 });
    const g = decodeFrame(
      encodeFrame({
        ethernet,
        ipv4: {
          src: A,
          dst: B,
          options: [
            { kind: "lsrr", addresses: [B] },
            { kind: "ssrr", addresses: [A] },
            { kind: "ts", flag: 0, entries: [{ timestamp: 7 }] },
            { kind: "unknown", type: 0x99, data: hex("abcd") },
          ],
        },
      }),
    );
    expect(g.ipv4!.options.map((o) => o.kind)).toEqual(["lsrr", "ssrr", "ts", "unknown", "eol"]);
    expect(g.ipv4!.options[2]).toMatchObject({ entries: [{ timestamp: 7 }] });
    expect(g.ipv4!.options[3]).toMatchObject({ type: 0x99, length: 4, data: hex("abcd") });
    expect(g.ipv4!.options[4]).toMatchObject({ type: 0, length: 2 }); // 26 bytes padded to 28
  });

  it("keeps fragments undecoded past IPv4", () => {
    const f = decodeFrame(
      encodeFrame({
        ethernet,
        ipv4: { src: A, dst: B, protocol: 6, mf: true, fragmentOffset: 1480 },
        payload: hex("0102030405060708"),
      }),
    );
    expect(f.ipv4).toMatchObject({ mf: true, fragmentOffset: 1480 });
    expect(f.tcp).toBeUndefined();
    expect(f.payload.length).toBe(8);
  });

  it("bounds the payload by the IPv4 total length, not the Ethernet padding", () => {
    const bytes = new Uint8Array(60);
    bytes.set(encodeFrame({ ethernet, ipv4: { src: A, dst: B }, udp: { srcPort: 7, dstPort: 7 }, payload: hex("aa") }));
    const f = decodeFrame(bytes);
    expect(f.udp!.length).toBe(9);
    expect(Array.from(f.payload)).toEqual([0xaa]);
  });

  it("parses TCP flags and every TCP option kind", () => {
    const f = decodeFrame(
      encodeFrame({
        ethernet,
        ipv4: { src: A, dst: B },
        tcp: {
          srcPort: 40000,
          dstPort: 22,
          seq: 0xfffffff0,
          ack: 1,
          flags: TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE | TcpFlag.AE,
          window: 64240,
          options: [
            { kind: "mss", value: 1460 },
            { kind: "sack-permitted" },
            { kind: "timestamp", value: 123, echo: 456 },
            { kind: "nop" },
            { kind: "window-scale", shift: 7 },
            { kind: "sack", blocks: [{ left: 1, right: 2 }] },
            { kind: "unknown", type: 30, data: hex("01") },
          ],
        },
        payload: hex("68656c6c6f"),
      }),
    );
    expect(f.tcp).toMatchObject({
      srcPort: 40000,
      dstPort: 22,
      seq: 0xfffffff0,
      ack: 1,
      window: 64240,
      headerLength: 56,
    });
    expect(f.tcp!.flags).toBe(0x152);
    expect(f.tcp!.options.map((o) => o.kind)).toEqual([
      "mss",
      "sack-permitted",
      "timestamp",
      "nop",
      "window-scale",
      "sack",
      "unknown",
      "eol",
    ]);
    expect(f.tcp!.options[2]).toMatchObject({ value: 123, echo: 456 });
    expect(f.tcp!.options[5]).toMatchObject({ blocks: [{ left: 1, right: 2 }] });
    expect(Buffer.from(f.payload).toString()).toBe("hello");
  });

  it("decodes IPv6 extension headers before the transport", () => {
    const src = hex("20010db8000000000000000000000001");
    const dst = hex("20010db8000000000000000000000002");
    const hop = hex("20010db8000000000000000000000003");
    const f = decodeFrame(
      encodeFrame({
        ethernet,
        ipv6: {
          trafficClass: 0xb8,
          flowLabel: 0x12345,
          src,
          dst,
          extensions: [
            { kind: "hop-by-hop", options: [{ type: 5, data: hex("0000") }] },
            { kind: "routing", routingType: 0, segmentsLeft: 1, data: new Uint8Array([0, 0, 0, 0, ...hop]) },
            { kind: "fragment", fragmentOffset: 0, more: true, id: 0xdeadbeef },
            { kind: "destination", options: [{ type: 0xc9, data: hex("aabbcc") }] },
          ],
        },
        udp: { srcPort: 5000, dstPort: 5001 },
        payload: hex("00"),
      }),
    );
    const v6 = f.ipv6!;
    expect(v6).toMatchObject({
      version: 6,
      trafficClass: 0xb8,
      flowLabel: 0x12345,
      nextHeader: 0,
      protocol: 17,
      headerLength: 40 + 8 + 24 + 8 + 8,
    });
    expect(v6.extensions.map((e) => e.kind)).toEqual(["hop-by-hop", "routing", "fragment", "destination"]);
    expect(v6.extensions[0]).toMatchObject({ options: [{ type: 5, data: hex("0000") }, { type: 1 }] });
    expect(v6.extensions[1]).toMatchObject({ routingType: 0, segmentsLeft: 1, addresses: [hop] });
    expect(v6.extensions[2]).toMatchObject({ fragmentOffset: 0, more: true, id: 0xdeadbeef });
    expect(f.udp).toMatchObject({ srcPort: 5000, dstPort: 5001, length: 9 });
  });

  it("decodes the datagram inside ICMP errors", () => {
    const inner = encodePacket({
      ipv4: { src: A, dst: B, id: 9 },
      udp: { srcPort: 1234, dstPort: 53 },
      payload: new Uint8Array(40),
    });
    const f = decodeFrame(
      encodeFrame({ ethernet, ipv4: { src: B, dst: A }, icmp: { type: 3, code: 3 }, payload: inner.subarray(0, 28) }),
    );
    expect(f.icmp).toMatchObject({ type: 3, code: 3 });
    const e = f.icmp!.embedded!;
    expect(e.ipv4).toMatchObject({ src: A, dst: B, id: 9, totalLength: 68 });
    expect(e.udp).toMatchObject({ srcPort: 1234, dstPort: 53, length: 48 });
    expect(e.truncated).toBeUndefined();
    expect(f.truncated).toBeUndefined();

    const tcpInner = encodePacket({ ipv4: { src: A, dst: B }, tcp: { srcPort: 1, dstPort: 2 } });
    const g = decodeFrame(
      encodeFrame({
        ethernet,
        ipv4: { src: B, dst: A },
        icmp: { type: 11, code: 0 },
        payload: tcpInner.subarray(0, 28),
      }),
    );
    expect(g.icmp!.embedded!.truncated).toEqual({ layer: "tcp", offset: 14 + 20 + 8 + 20, needed: 20, available: 8 });
    expect(g.truncated).toBeUndefined();
  });

  it("decodes ICMPv6 errors and echoes", () => {
    const src = hex("fe800000000000000000000000000001");
    const dst = hex("ff020000000000000000000000000001");
    const inner = encodePacket({ ipv6: { src: dst, dst: src }, udp: { srcPort: 1, dstPort: 2 } });
    const f = decodeFrame(
      encodeFrame({ ethernet, ipv6: { src, dst }, icmpv6: { type: 2, mtu: 1280 }, payload: inner }),
    );
    expect(f.icmpv6).toMatchObject({ type: 2, mtu: 1280 });
    expect(f.icmpv6!.embedded!.udp).toMatchObject({ srcPort: 1, dstPort: 2 });
    expect(verifyChecksums(f.bytes, f).transport).toBe(true);
    const echo = decodeFrame(encodeFrame({ ethernet, ipv6: { src, dst }, icmpv6: { type: 128, id: 5, sequence: 6 } }));
    expect(echo.icmpv6).toMatchObject({ type: 128, id: 5, sequence: 6 });
  });

  it("decodes a bare IP packet", () => {
    const p = decodePacket(encodePacket({ ipv4: { src: A, dst: B }, icmp: { type: 8, id: 1, sequence: 2 } }));
    expect(p.icmp).toMatchObject({ type: 8, id: 1, sequence: 2 });
  });
});

describe("decodeFrame: truncation", () => {
  const cases: [string, Uint8Array, number, string][] = [
    ["ethernet", WALKTHROUGH_REPLY, 13, "ethernet"],
    ["ipv4 fixed header", WALKTHROUGH_REPLY, 14 + 19, "ipv4"],
    ["ipv4 options", WALKTHROUGH_REPLY, 14 + 25, "ipv4"],
    ["icmp", WALKTHROUGH_REPLY, 14 + 32 + 7, "icmp"],
    ["vlan", encodeFrame({ ethernet, vlans: [{ vid: 1 }], ipv4: { src: A, dst: B } }), 16, "vlan"],
    [
      "arp",
      encodeFrame({
        ethernet,
        arp: { op: 2, sha: ethernet.src, spa: hex("0a000003"), tha: ethernet.dst, tpa: hex("0a000002") },
      }),
      30,
      "arp",
    ],
    ["tcp", encodeFrame({ ethernet, ipv4: { src: A, dst: B }, tcp: { srcPort: 1, dstPort: 2 } }), 14 + 20 + 19, "tcp"],
    [
      "tcp options",
      encodeFrame({
        ethernet,
        ipv4: { src: A, dst: B },
        tcp: { srcPort: 1, dstPort: 2, options: [{ kind: "mss", value: 1 }] },
      }),
      14 + 20 + 22,
      "tcp",
    ],
    ["udp", encodeFrame({ ethernet, ipv4: { src: A, dst: B }, udp: { srcPort: 1, dstPort: 2 } }), 14 + 20 + 7, "udp"],
    ["ipv6", encodeFrame({ ethernet, ipv6: { src: new Uint8Array(16), dst: new Uint8Array(16) } }), 14 + 39, "ipv6"],
    [
      "ipv6 fragment header",
      encodeFrame({
        ethernet,
        ipv6: {
          src: new Uint8Array(16),
          dst: new Uint8Array(16),
          extensions: [{ kind: "fragment", fragmentOffset: 0, more: false, id: 1 }],
        },
      }),
      14 + 40 + 5,
      "ipv6-fragment",
    ],
  ];
  for (const [name, frame, cut, layer] of cases) {
    it(`marks a cut inside the ${name} header as [|${layer}]`, () => {
      const f = decodeFrame(frame.subarray(0, cut));
      expect(f.truncated?.layer).toBe(layer);
      expect(f.malformed).toBeUndefined();
      const e = catchError(() => decodeFrameStrict(frame.subarray(0, cut)));
      expect(e).toBeInstanceOf(NeedMoreBytesError);
      expect(e).toBeInstanceOf(RangeError);
      expect((e as NeedMoreBytesError).layer).toBe(layer);
      expect((e as Error).message).toMatch(/need \d+ bytes, have \d+/);
    });
  }

  it("keeps what was decoded before the cut", () => {
    const f = decodeFrame(WALKTHROUGH_REPLY.subarray(0, 14 + 32 + 4));
    expect(f.ipv4!.options[0]).toMatchObject({ kind: "pval", seq: 46n });
    expect(f.icmp).toBeUndefined();
    expect(f.truncated).toEqual({ layer: "icmp", offset: 46, needed: 8, available: 4 });
  });

  it("does not call a short payload truncation (a snap length is normal)", () => {
    const f = decodeFrame(WALKTHROUGH_REPLY.subarray(0, 60), { wireLength: 110 });
    expect(f.truncated).toBeUndefined();
    expect(f.icmp!.payload.length).toBe(6);
    expect(f.wireLength).toBe(110);
    expect(verifyChecksums(f.bytes, f)).toEqual({ ip: true, transport: undefined });
  });
});

describe("decodeFrame: malformed headers", () => {
  const edit = (frame: Uint8Array, at: number, value: number): Uint8Array => {
    const copy = frame.slice();
    copy[at] = value;
    return copy;
  };
  const udp = encodeFrame({
    ethernet,
    ipv4: { src: A, dst: B },
    udp: { srcPort: 1, dstPort: 2 },
    payload: hex("0102"),
  });
  const tcp = encodeFrame({ ethernet, ipv4: { src: A, dst: B }, tcp: { srcPort: 1, dstPort: 2 } });
  const cases: [string, Uint8Array, string, string][] = [
    ["IPv4 version 5", edit(WALKTHROUGH_REPLY, 14, 0x58), "ipv4", "BAD_VERSION"],
    ["IPv4 IHL 4", edit(WALKTHROUGH_REPLY, 14, 0x41), "ipv4", "BAD_HEADER_LENGTH"],
    ["total length < IHL", edit(edit(WALKTHROUGH_REPLY, 16, 0), 17, 20), "ipv4", "BAD_TOTAL_LENGTH"],
    ["option length 1", edit(WALKTHROUGH_REPLY, 35, 1), "ipv4", "BAD_OPTION_LENGTH"],
    ["option past the header", edit(WALKTHROUGH_REPLY, 35, 13), "ipv4", "BAD_OPTION_LENGTH"],
    ["UDP length 7", edit(udp, 14 + 20 + 5, 7), "udp", "BAD_TOTAL_LENGTH"],
    ["TCP data offset 16", edit(tcp, 14 + 20 + 12, 0x40), "tcp", "BAD_HEADER_LENGTH"],
  ];
  for (const [name, frame, layer, code] of cases) {
    it(`reports ${name} as ${code}`, () => {
      const f = decodeFrame(frame);
      expect(f.malformed).toMatchObject({ layer, code });
      const e = catchError(() => decodeFrameStrict(frame));
      expect(e).toBeInstanceOf(DecodeError);
      expect(e).toMatchObject({ layer, code });
    });
  }

  it("records a well-framed option of the wrong length and goes on", () => {
    const bytes = encodeFrame({
      ethernet,
      ipv4: {
        src: A,
        dst: B,
        options: [
          { kind: "unknown", type: 148, data: hex("00") },
          { kind: "pval", cpu: 1, seq: 2n },
        ],
      },
      udp: { srcPort: 1, dstPort: 2 },
    });
    const f: Frame = decodeFrame(bytes);
    expect(f.ipv4!.options[0]).toMatchObject({
      kind: "invalid",
      type: 148,
      length: 3,
      reason: "router alert length 3 != 4",
    });
    expect(f.ipv4!.options[1]).toMatchObject({ kind: "pval", cpu: 1, seq: 2n });
    expect(f.malformed).toMatchObject({ layer: "ipv4", code: "BAD_OPTION_LENGTH", offset: 34 });
    expect(f.udp).toBeDefined();
  });
});
