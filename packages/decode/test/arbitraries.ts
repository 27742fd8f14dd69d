// fast-check arbitraries for frame specs, and the decoded shape each spec must produce.

import fc from "fast-check";
import type {
  ArpSpec,
  FrameSpec,
  IcmpSpec,
  Icmpv6Spec,
  Ipv4OptionSpec,
  Ipv4Spec,
  Ipv6ExtensionSpec,
  Ipv6Spec,
  PacketSpec,
  TcpOptionSpec,
  TcpSpec,
  UdpSpec,
  VlanSpec,
} from "../src/index.js";
import { encodePacket } from "../src/index.js";

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });

export const mac = bytes(6, 6);
export const ipv6Address = bytes(16, 16);

export const vlan: fc.Arbitrary<VlanSpec> = fc.record({
  tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100),
  pcp: fc.integer({ min: 0, max: 7 }),
  dei: fc.boolean(),
  vid: fc.integer({ min: 0, max: 0xfff }),
});

const KNOWN_IPV4_OPTIONS = new Set([0, 1, 7, 68, 131, 137, 148, 222]);
const ipv4Option: fc.Arbitrary<Ipv4OptionSpec> = fc.oneof(
  fc.constant<Ipv4OptionSpec>({ kind: "nop" }),
  fc.record({
    kind: fc.constantFrom("rr" as const, "lsrr" as const, "ssrr" as const),
    pointer: u8,
    addresses: fc.array(u32, { maxLength: 2 }),
  }),
  fc
    .record({
      flag: fc.constantFrom(0, 1, 3),
      pointer: u8,
      overflow: fc.integer({ min: 0, max: 15 }),
      n: fc.integer({ min: 0, max: 2 }),
      t: u32,
      a: u32,
    })
    .map(
      ({ flag, pointer, overflow, n, t, a }): Ipv4OptionSpec => ({
        kind: "ts",
        flag,
        pointer,
        overflow,
        entries: Array.from({ length: n }, (_, i) =>
          flag === 0 ? { timestamp: (t + i) >>> 0 } : { address: a, timestamp: (t + i) >>> 0 },
        ),
      }),
    ),
  fc.record({ kind: fc.constant("ra" as const), value: u16 }),
  fc.record({ kind: fc.constant("pval" as const), cpu: u8, seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({
    kind: fc.constant("unknown" as const),
    type: u8.filter((t) => !KNOWN_IPV4_OPTIONS.has(t)),
    data: bytes(0, 6),
  }),
);

const ipv4OptionSize = (o: Ipv4OptionSpec): number =>
  o.kind === "nop" || o.kind === "eol"
    ? 1
    : o.kind === "rr" || o.kind === "lsrr" || o.kind === "ssrr"
      ? 3 + 4 * o.addresses.length
      : o.kind === "ts"
        ? 4 + (o.flag === 0 ? 4 : 8) * o.entries.length
        : o.kind === "ra"
          ? 4
          : o.kind === "pval"
            ? 12
            : 2 + (o as { data: Uint8Array }).data.length;

export const ipv4Options = fc
  .array(ipv4Option, { maxLength: 4 })
  .filter((os) => os.reduce((n, o) => n + ipv4OptionSize(o), 0) <= 40);

export const ipv4 = (fragmentable: boolean): fc.Arbitrary<Ipv4Spec> =>
  fc.record({
    tos: u8,
    id: u16,
    reservedFlag: fc.boolean(),
    df: fc.boolean(),
    mf: fc.boolean(),
    fragmentOffset: fragmentable ? fc.integer({ min: 0, max: 0x1fff }).map((x) => x * 8) : fc.constant(0),
    ttl: u8,
    src: u32,
    dst: u32,
    options: ipv4Options,
  });

const KNOWN_TCP_OPTIONS = new Set([0, 1, 2, 3, 4, 5, 8]);
const tcpOption: fc.Arbitrary<TcpOptionSpec> = fc.oneof(
  fc.constant<TcpOptionSpec>({ kind: "nop" }),
  fc.record({ kind: fc.constant("mss" as const), value: u16 }),
  fc.record({ kind: fc.constant("window-scale" as const), shift: u8 }),
  fc.constant<TcpOptionSpec>({ kind: "sack-permitted" }),
  fc.record({
    kind: fc.constant("sack" as const),
    blocks: fc.array(fc.record({ left: u32, right: u32 }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant("timestamp" as const), value: u32, echo: u32 }),
  fc.record({
    kind: fc.constant("unknown" as const),
    type: u8.filter((t) => !KNOWN_TCP_OPTIONS.has(t)),
    data: bytes(0, 4),
  }),
);
const tcpOptionSize = (o: TcpOptionSpec): number =>
  o.kind === "nop" || o.kind === "eol"
    ? 1
    : o.kind === "mss"
      ? 4
      : o.kind === "window-scale"
        ? 3
        : o.kind === "sack-permitted"
          ? 2
          : o.kind === "sack"
            ? 2 + 8 * o.blocks.length
            : o.kind === "timestamp"
              ? 10
              : 2 + o.data.length;

export const tcp: fc.Arbitrary<TcpSpec> = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: fc.integer({ min: 0, max: 0x1ff }),
  window: u16,
  urgentPointer: u16,
  options: fc.array(tcpOption, { maxLength: 4 }).filter((os) => os.reduce((n, o) => n + tcpOptionSize(o), 0) <= 40),
});

export const udp: fc.Arbitrary<UdpSpec> = fc.record({ srcPort: u16, dstPort: u16 });

const ipv6Extension: fc.Arbitrary<Ipv6ExtensionSpec> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("hop-by-hop" as const, "destination" as const),
    options: fc.array(fc.record({ type: fc.integer({ min: 2, max: 255 }), data: bytes(0, 6) }), { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant("routing" as const),
    routingType: fc.constantFrom(0, 2, 3, 4, 200),
    segmentsLeft: u8,
    data: fc.integer({ min: 0, max: 4 }).chain((k) => bytes(4 + 8 * k, 4 + 8 * k)),
  }),
  fc.record({ kind: fc.constant("fragment" as const), fragmentOffset: fc.constant(0), more: fc.boolean(), id: u32 }),
);

export const ipv6: fc.Arbitrary<Ipv6Spec> = fc.record({
  trafficClass: u8,
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  hopLimit: u8,
  src: ipv6Address,
  dst: ipv6Address,
  extensions: fc.array(ipv6Extension, { maxLength: 3 }),
});

const ICMP_ERRORS = [3, 4, 5, 11, 12];
const icmp: fc.Arbitrary<IcmpSpec> = fc.oneof(
  fc.record({ type: fc.constantFrom(0, 8, 13, 14), code: u8, id: u16, sequence: u16 }),
  fc.record({ type: fc.constantFrom(...ICMP_ERRORS, 9, 10, 40), code: u8, rest: u32 }),
);
const icmpv6: fc.Arbitrary<Icmpv6Spec> = fc.oneof(
  fc.record({ type: fc.constantFrom(128, 129), code: u8, id: u16, sequence: u16 }),
  fc.record({ type: fc.constantFrom(1, 2, 3, 4, 133, 135, 143), code: u8, rest: u32 }),
);

/** An IP packet with a transport (or none) and a payload; ICMP errors carry an inner packet. */
export const packet = (depth = 0): fc.Arbitrary<PacketSpec> =>
  fc
    .oneof(
      fc.record({
        ipv4: ipv4(false),
        l4: fc.oneof(
          tcp.map((tcp) => ({ tcp })),
          udp.map((udp) => ({ udp })),
          icmp.map((icmp) => ({ icmp })),
          fc.constant({}),
        ),
      }),
      fc.record({ ipv4: ipv4(true), l4: fc.constant({}) }),
      fc.record({
        ipv6,
        l4: fc.oneof(
          tcp.map((tcp) => ({ tcp })),
          udp.map((udp) => ({ udp })),
          icmpv6.map((icmpv6) => ({ icmpv6 })),
          fc.constant({}),
        ),
      }),
    )
    .chain((p) => {
      const { l4, ...ip } = p as { l4: PacketSpec } & PacketSpec;
      const isError =
        (l4.icmp !== undefined && ICMP_ERRORS.includes(l4.icmp.type)) ||
        (l4.icmpv6 !== undefined && l4.icmpv6.type <= 4);
      const payload: fc.Arbitrary<Uint8Array> =
        isError && depth === 0 ? packet(1).map((inner) => encodePacket(inner).subarray(0, 68)) : bytes(0, 48);
      return payload.map((payload): PacketSpec => ({ ...ip, ...l4, payload }));
    });

const arp: fc.Arbitrary<ArpSpec> = fc.record({ op: u16, sha: mac, spa: bytes(4, 4), tha: mac, tpa: bytes(4, 4) });

const OTHER_ETHERTYPES = fc
  .integer({ min: 0x0600, max: 0xffff })
  .filter((t) => ![0x0800, 0x0806, 0x86dd, 0x8100, 0x88a8, 0x9100].includes(t));

/** Any frame this package can build. */
export const frame: fc.Arbitrary<FrameSpec> = fc
  .record({
    ethernet: fc.record({ dst: mac, src: mac }),
    vlans: fc.array(vlan, { maxLength: 2 }),
    body: fc.oneof(
      { weight: 6, arbitrary: packet() },
      { weight: 1, arbitrary: arp.map((arp): FrameSpec => ({ arp }) as FrameSpec) },
      { weight: 1, arbitrary: fc.record({ ethertype: OTHER_ETHERTYPES, payload: bytes(0, 40) }) },
    ),
  })
  .map(({ ethernet, vlans, body }) => ({ ethernet, vlans, ...body }) as FrameSpec);

/** A frame carrying option 222 somewhere among other IPv4 options, as pval sends them. */
export const pvalFrame: fc.Arbitrary<FrameSpec> = fc
  .record({
    ethernet: fc.record({ dst: mac, src: mac }),
    vlans: fc.array(vlan, { maxLength: 2 }),
    ipv4: ipv4(false),
    cpu: u8,
    seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    before: fc.array(fc.constantFrom<Ipv4OptionSpec>({ kind: "nop" }, { kind: "ra", value: 0 }), { maxLength: 3 }),
    l4: fc.oneof(
      tcp.map((tcp) => ({ tcp })),
      udp.map((udp) => ({ udp })),
      fc.constant({}),
    ),
    payload: bytes(0, 64),
  })
  .map(({ ethernet, vlans, ipv4, cpu, seq, before, l4, payload }) => ({
    ethernet,
    vlans,
    ipv4: { ...ipv4, options: [...before, { kind: "pval" as const, cpu, seq }] },
    ...l4,
    payload,
  }));

// ---------------------------------------------------------------- expected decodings

const padded = (size: number): boolean => size % 4 !== 0;

function expectedIpv4Options(options: Ipv4OptionSpec[]): object[] {
  const size = options.reduce((n, o) => n + ipv4OptionSize(o), 0);
  const out: object[] = options.map((o) => {
    if (o.kind === "unknown") return { kind: "unknown", type: o.type, data: o.data };
    return o;
  });
  if (padded(size)) out.push({ kind: "eol", type: 0 });
  return out;
}

function expectedTcpOptions(options: TcpOptionSpec[]): object[] {
  const size = options.reduce((n, o) => n + tcpOptionSize(o), 0);
  const out: object[] = options.map((o) =>
    o.kind === "unknown" ? { kind: "unknown", type: o.type, data: o.data } : o,
  );
  if (padded(size)) out.push({ kind: "eol", type: 0 });
  return out;
}

function expectedExtension(e: Ipv6ExtensionSpec): object {
  if (e.kind === "hop-by-hop" || e.kind === "destination") return { kind: e.kind };
  return e;
}

/** The subset of decodePacket's result that a spec determines. */
export function expectedPacket(spec: PacketSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { truncated: undefined, malformed: undefined };
  if (spec.ipv4) {
    const { options = [], ...rest } = spec.ipv4;
    out.ipv4 = { version: 4, ...rest, options: expectedIpv4Options(options) };
  }
  if (spec.ipv6) {
    const { extensions = [], ...rest } = spec.ipv6;
    out.ipv6 = { version: 6, ...rest, extensions: extensions.map(expectedExtension) };
  }
  const fragment = spec.ipv4 !== undefined && (spec.ipv4.fragmentOffset ?? 0) !== 0;
  if (spec.tcp && !fragment)
    out.tcp = { ...spec.tcp, options: expectedTcpOptions(spec.tcp.options ?? []), payload: spec.payload };
  if (spec.udp && !fragment) out.udp = { ...spec.udp, length: 8 + (spec.payload?.length ?? 0), payload: spec.payload };
  if (spec.icmp && !fragment) out.icmp = { ...spec.icmp, payload: spec.payload };
  if (spec.icmpv6) out.icmpv6 = { ...spec.icmpv6, payload: spec.payload };
  if (spec.payload && !(fragment && (spec.tcp || spec.udp || spec.icmp))) out.payload = spec.payload;
  return out;
}

/** The subset of decodeFrame's result that a spec determines. */
export function expectedFrame(spec: FrameSpec): Record<string, unknown> {
  const out =
    spec.arp || spec.ethertype !== undefined ? { truncated: undefined, malformed: undefined } : expectedPacket(spec);
  const vlans = (spec.vlans ?? []).map((v) => ({
    tpid: v.tpid ?? 0x8100,
    pcp: v.pcp ?? 0,
    dei: v.dei ?? false,
    vid: v.vid,
  }));
  const ethertype = spec.arp ? 0x0806 : spec.ipv4 ? 0x0800 : spec.ipv6 ? 0x86dd : spec.ethertype;
  const result: Record<string, unknown> = {
    ...out,
    ethernet: { dst: spec.ethernet.dst, src: spec.ethernet.src },
    vlans,
    ethertype,
  };
  if (spec.arp) result.arp = { htype: 1, ptype: 0x0800, hlen: 6, plen: 4, ...spec.arp };
  if (spec.ethertype !== undefined && spec.payload) result.payload = spec.payload;
  return result;
}
