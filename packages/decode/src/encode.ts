// Builders: the inverse of frame.ts. They encode frames, packets and the pval
// option from plain specs, fill in every length, type field and checksum, and
// are used by tests, the benchmark and packet injectors.
//
// Byte order: packets are written in network order (big-endian); option
// 222's seq is little-endian (SPEC §2).
//
// A spec uses the field names of the decoded structures, so
// decodeFrame(encodeFrame(spec)) contains spec (see encode.test.ts).

import { internetChecksum, onesComplementSum } from "./checksum.js";
import { EtherType, IpProtocol, Ipv4OptionType, TcpOptionKind } from "./frame.js";
import { PVAL_IPOPT_LEN, PVAL_IPOPT_TYPE, PvalIpoptLayout } from "./generated/abi.js";

export interface EthernetSpec {
  dst: Uint8Array;
  src: Uint8Array;
}

export interface VlanSpec {
  /** Defaults to 0x8100. */
  tpid?: number;
  pcp?: number;
  dei?: boolean;
  vid: number;
}

export interface ArpSpec {
  /** Defaults to 1 (Ethernet). */
  htype?: number;
  /** Defaults to 0x0800 (IPv4). */
  ptype?: number;
  op: number;
  sha: Uint8Array;
  spa: Uint8Array;
  tha: Uint8Array;
  tpa: Uint8Array;
}

export type Ipv4OptionSpec =
  | { kind: "eol" }
  | { kind: "nop" }
  | { kind: "rr" | "lsrr" | "ssrr"; pointer?: number; addresses: number[] }
  | {
      kind: "ts";
      pointer?: number;
      overflow?: number;
      flag: number;
      entries: { address?: number; timestamp: number }[];
    }
  | { kind: "ra"; value?: number }
  | { kind: "pval"; cpu: number; seq: bigint; reserved?: number }
  | { kind: "unknown"; type: number; data: Uint8Array };

export interface Ipv4Spec {
  tos?: number;
  id?: number;
  reservedFlag?: boolean;
  df?: boolean;
  mf?: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset?: number;
  /** Defaults to 64. */
  ttl?: number;
  /** Defaults to the transport given (TCP, UDP, ICMP), else 253 (experimentation). */
  protocol?: number;
  src: number;
  dst: number;
  /** Padded with EOL to a multiple of 4 bytes. */
  options?: Ipv4OptionSpec[];
  /** Overrides the computed value (to build malformed packets). */
  totalLength?: number;
  checksum?: number;
}

export type Ipv6ExtensionSpec =
  | { kind: "hop-by-hop" | "destination"; options: { type: number; data: Uint8Array }[] }
  | { kind: "routing"; routingType: number; segmentsLeft: number; data: Uint8Array }
  | { kind: "fragment"; fragmentOffset: number; more: boolean; id: number };

export interface Ipv6Spec {
  trafficClass?: number;
  flowLabel?: number;
  /** Defaults to 64. */
  hopLimit?: number;
  /** The protocol after the extension headers; defaults to the transport given, else 59 (no next header). */
  protocol?: number;
  src: Uint8Array;
  dst: Uint8Array;
  extensions?: Ipv6ExtensionSpec[];
  /** Overrides the computed value. */
  payloadLength?: number;
}

export type TcpOptionSpec =
  | { kind: "eol" }
  | { kind: "nop" }
  | { kind: "mss"; value: number }
  | { kind: "window-scale"; shift: number }
  | { kind: "sack-permitted" }
  | { kind: "sack"; blocks: { left: number; right: number }[] }
  | { kind: "timestamp"; value: number; echo: number }
  | { kind: "unknown"; type: number; data: Uint8Array };

export interface TcpSpec {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** Bits of TcpFlag. */
  flags?: number;
  /** Defaults to 65535. */
  window?: number;
  urgentPointer?: number;
  /** Padded with EOL to a multiple of 4 bytes. */
  options?: TcpOptionSpec[];
  checksum?: number;
}

export interface UdpSpec {
  srcPort: number;
  dstPort: number;
  /** Overrides the computed value. */
  length?: number;
  checksum?: number;
}

export interface IcmpSpec {
  type: number;
  code?: number;
  /** Bytes 4..7; by default built from id/sequence, gateway, pointer or nextHopMtu. */
  rest?: number;
  id?: number;
  sequence?: number;
  gateway?: number;
  pointer?: number;
  nextHopMtu?: number;
  checksum?: number;
}

export interface Icmpv6Spec {
  type: number;
  code?: number;
  rest?: number;
  id?: number;
  sequence?: number;
  mtu?: number;
  pointer?: number;
  checksum?: number;
}

/** A network-layer packet: one of ipv4/ipv6, at most one transport, and a payload. */
export interface PacketSpec {
  ipv4?: Ipv4Spec;
  ipv6?: Ipv6Spec;
  tcp?: TcpSpec;
  udp?: UdpSpec;
  icmp?: IcmpSpec;
  icmpv6?: Icmpv6Spec;
  /** Bytes after the last header (for ICMP errors: the offending datagram). */
  payload?: Uint8Array;
}

/** An Ethernet frame. */
export interface FrameSpec extends PacketSpec {
  ethernet: EthernetSpec;
  vlans?: VlanSpec[];
  arp?: ArpSpec;
  /** The innermost ethertype; required when the frame carries neither ARP nor IP. */
  ethertype?: number;
}

const OPT_CPU: number = PvalIpoptLayout.fields.cpu.offset;
const OPT_RESERVED: number = PvalIpoptLayout.fields.reserved.offset;
const OPT_SEQ: number = PvalIpoptLayout.fields.seq.offset;
const EMPTY = new Uint8Array(0);

/** The 12 bytes of option 222. */
export function encodePvalOption(cpu: number, seq: bigint, reserved = 0): Uint8Array {
  const out = new Uint8Array(PVAL_IPOPT_LEN);
  writePvalOption(out, new DataView(out.buffer), 0, cpu, seq, reserved);
  return out;
}

function writePvalOption(u8: Uint8Array, dv: DataView, at: number, cpu: number, seq: bigint, reserved: number): void {
  u8[at] = PVAL_IPOPT_TYPE;
  u8[at + 1] = PVAL_IPOPT_LEN;
  u8[at + OPT_RESERVED] = checkRange("reserved", reserved, 0xff);
  u8[at + OPT_CPU] = checkRange("cpu", cpu, 0xff);
  if (seq < 0n || seq > 0xffffffffffffffffn) throw new RangeError(`seq ${seq} outside 0..2^64-1`);
  dv.setBigUint64(at + OPT_SEQ, seq, true);
}

function checkRange(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${name} ${value} outside 0..${max}`);
  return value;
}

// ---------------------------------------------------------------- sizes

function ipv4OptionSize(o: Ipv4OptionSpec): number {
  switch (o.kind) {
    case "eol":
    case "nop":
      return 1;
    case "rr":
    case "lsrr":
    case "ssrr":
      return 3 + 4 * o.addresses.length;
    case "ts":
      return 4 + (o.flag === 0 ? 4 : 8) * o.entries.length;
    case "ra":
      return 4;
    case "pval":
      return PVAL_IPOPT_LEN;
    case "unknown":
      return 2 + o.data.length;
  }
}

function tcpOptionSize(o: TcpOptionSpec): number {
  switch (o.kind) {
    case "eol":
    case "nop":
      return 1;
    case "mss":
      return 4;
    case "window-scale":
      return 3;
    case "sack-permitted":
      return 2;
    case "sack":
      return 2 + 8 * o.blocks.length;
    case "timestamp":
      return 10;
    case "unknown":
      return 2 + o.data.length;
  }
}

const pad4 = (n: number): number => (n + 3) & ~3;
const pad8 = (n: number): number => (n + 7) & ~7;

function ipv6ExtensionSize(e: Ipv6ExtensionSpec): number {
  switch (e.kind) {
    case "fragment":
      return 8;
    case "routing":
      if ((4 + e.data.length) % 8 !== 0)
        throw new RangeError(`routing header data of ${e.data.length} bytes: 4 + data must be a multiple of 8`);
      return 4 + e.data.length;
    default:
      return pad8(2 + e.options.reduce((n, o) => n + (o.type === 0 ? 1 : 2 + o.data.length), 0));
  }
}

function transportSize(spec: PacketSpec): number {
  if (spec.tcp) return 20 + pad4((spec.tcp.options ?? []).reduce((n, o) => n + tcpOptionSize(o), 0));
  if (spec.udp || spec.icmp || spec.icmpv6) return 8;
  return 0;
}

function transportProtocol(spec: PacketSpec): number | undefined {
  if (spec.tcp) return IpProtocol.TCP;
  if (spec.udp) return IpProtocol.UDP;
  if (spec.icmp) return IpProtocol.ICMP;
  if (spec.icmpv6) return IpProtocol.ICMPV6;
  return undefined;
}

function networkHeaderSize(spec: PacketSpec): number {
  if (spec.ipv4) {
    const opts = pad4((spec.ipv4.options ?? []).reduce((n, o) => n + ipv4OptionSize(o), 0));
    if (opts > 40) throw new RangeError(`IPv4 options take ${opts} bytes, at most 40 fit`);
    return 20 + opts;
  }
  if (spec.ipv6) return 40 + (spec.ipv6.extensions ?? []).reduce((n, e) => n + ipv6ExtensionSize(e), 0);
  throw new TypeError("a packet needs an ipv4 or ipv6 header");
}

// ---------------------------------------------------------------- entry points

/** Encodes an IPv4 or IPv6 packet with its transport header and payload. */
export function encodePacket(spec: PacketSpec): Uint8Array {
  const size = networkHeaderSize(spec) + transportSize(spec) + (spec.payload?.length ?? 0);
  const out = new Uint8Array(size);
  writePacket(out, new DataView(out.buffer), 0, spec);
  return out;
}

/** Encodes an Ethernet frame. Frames are not padded to the 60-byte minimum. */
export function encodeFrame(spec: FrameSpec): Uint8Array {
  const vlans = spec.vlans ?? [];
  const l2 = 14 + 4 * vlans.length;
  let inner: number;
  let body: number;
  if (spec.arp) {
    inner = EtherType.ARP;
    body = 8 + 2 * (spec.arp.sha.length + spec.arp.spa.length);
    if (spec.arp.sha.length !== spec.arp.tha.length || spec.arp.spa.length !== spec.arp.tpa.length) {
      throw new RangeError("ARP sender and target addresses must have the same lengths");
    }
  } else if (spec.ipv4 || spec.ipv6) {
    inner = spec.ipv4 ? EtherType.IPV4 : EtherType.IPV6;
    body = networkHeaderSize(spec) + transportSize(spec);
  } else {
    if (spec.ethertype === undefined) throw new TypeError("a frame without ARP or IP needs an ethertype");
    inner = spec.ethertype;
    body = 0;
  }
  inner = spec.ethertype ?? inner;
  const out = new Uint8Array(l2 + body + (spec.payload?.length ?? 0));
  const dv = new DataView(out.buffer);
  if (spec.ethernet.dst.length !== 6 || spec.ethernet.src.length !== 6)
    throw new RangeError("MAC addresses have 6 bytes");
  out.set(spec.ethernet.dst, 0);
  out.set(spec.ethernet.src, 6);
  let at = 12;
  for (const tag of vlans) {
    dv.setUint16(at, checkRange("tpid", tag.tpid ?? EtherType.VLAN, 0xffff));
    const tci = (checkRange("pcp", tag.pcp ?? 0, 7) << 13) | (tag.dei ? 0x1000 : 0) | checkRange("vid", tag.vid, 0xfff);
    dv.setUint16(at + 2, tci);
    at += 4;
  }
  dv.setUint16(at, checkRange("ethertype", inner, 0xffff));
  at += 2;
  if (spec.arp) {
    const a = spec.arp;
    dv.setUint16(at, a.htype ?? 1);
    dv.setUint16(at + 2, a.ptype ?? EtherType.IPV4);
    out[at + 4] = a.sha.length;
    out[at + 5] = a.spa.length;
    dv.setUint16(at + 6, a.op);
    at += 8;
    for (const part of [a.sha, a.spa, a.tha, a.tpa]) {
      out.set(part, at);
      at += part.length;
    }
    if (spec.payload) out.set(spec.payload, at);
  } else if (spec.ipv4 || spec.ipv6) {
    writePacket(out, dv, at, spec);
  } else if (spec.payload) {
    out.set(spec.payload, at);
  }
  return out;
}

// ---------------------------------------------------------------- writers

function writePacket(out: Uint8Array, dv: DataView, start: number, spec: PacketSpec): void {
  const hdr = networkHeaderSize(spec);
  const l4Start = start + hdr;
  const l4Size = transportSize(spec) + (spec.payload?.length ?? 0);
  const protocol = transportProtocol(spec);
  let pseudo: number;
  if (spec.ipv4) {
    const ip = spec.ipv4;
    const proto = ip.protocol ?? protocol ?? 253;
    out[start] = 0x40 | (hdr >> 2);
    out[start + 1] = checkRange("tos", ip.tos ?? 0, 0xff);
    dv.setUint16(start + 2, ip.totalLength ?? checkRange("total length", hdr + l4Size, 0xffff));
    dv.setUint16(start + 4, checkRange("id", ip.id ?? 0, 0xffff));
    const fo = ip.fragmentOffset ?? 0;
    if (fo % 8 !== 0 || fo < 0 || fo > 0xfff8)
      throw new RangeError(`fragment offset ${fo} is not a multiple of 8 in 0..65528`);
    dv.setUint16(start + 6, (ip.reservedFlag ? 0x8000 : 0) | (ip.df ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | (fo >> 3));
    out[start + 8] = checkRange("ttl", ip.ttl ?? 64, 0xff);
    out[start + 9] = checkRange("protocol", proto, 0xff);
    dv.setUint32(start + 12, ip.src >>> 0);
    dv.setUint32(start + 16, ip.dst >>> 0);
    let at = start + 20;
    for (const o of ip.options ?? []) at = writeIpv4Option(out, dv, at, o);
    // The array is zero-filled: the padding is EOL.
    dv.setUint16(start + 10, ip.checksum ?? internetChecksum(out, start, start + hdr));
    pseudo = proto + l4Size + (ip.src >>> 16) + (ip.src & 0xffff) + (ip.dst >>> 16) + (ip.dst & 0xffff);
  } else {
    const ip = spec.ipv6!;
    if (ip.src.length !== 16 || ip.dst.length !== 16) throw new RangeError("IPv6 addresses have 16 bytes");
    const exts = ip.extensions ?? [];
    const proto = ip.protocol ?? protocol ?? IpProtocol.IPV6_NO_NEXT;
    const payloadLength = hdr - 40 + l4Size;
    dv.setUint32(
      start,
      ((6 << 28) |
        (checkRange("traffic class", ip.trafficClass ?? 0, 0xff) << 20) |
        checkRange("flow label", ip.flowLabel ?? 0, 0xfffff)) >>>
        0,
    );
    dv.setUint16(start + 4, ip.payloadLength ?? checkRange("payload length", payloadLength, 0xffff));
    out[start + 6] = exts.length > 0 ? extensionType(exts[0]!) : proto;
    out[start + 7] = checkRange("hop limit", ip.hopLimit ?? 64, 0xff);
    out.set(ip.src, start + 8);
    out.set(ip.dst, start + 24);
    let at = start + 40;
    exts.forEach((e, i) => {
      const next = i + 1 < exts.length ? extensionType(exts[i + 1]!) : proto;
      at = writeIpv6Extension(out, dv, at, e, next);
    });
    pseudo = onesComplementSum(ip.src, 0, 16, proto + l4Size);
    // With a type 0 or 2 routing header the pseudo-header carries its last address.
    let finalDst = ip.dst;
    for (const e of exts) {
      const n = e.kind === "routing" ? Math.floor((e.data.length - 4) / 16) : 0;
      if (e.kind === "routing" && e.segmentsLeft > 0 && (e.routingType === 0 || e.routingType === 2) && n > 0) {
        finalDst = e.data.subarray(4 + 16 * (n - 1), 4 + 16 * n);
      }
    }
    pseudo = onesComplementSum(finalDst, 0, 16, pseudo);
  }
  writeTransport(out, dv, l4Start, l4Start + l4Size, spec, pseudo);
}

function extensionType(e: Ipv6ExtensionSpec): number {
  switch (e.kind) {
    case "hop-by-hop":
      return IpProtocol.HOP_BY_HOP;
    case "routing":
      return IpProtocol.IPV6_ROUTING;
    case "fragment":
      return IpProtocol.IPV6_FRAGMENT;
    case "destination":
      return IpProtocol.IPV6_DESTINATION;
  }
}

function writeIpv6Extension(out: Uint8Array, dv: DataView, at: number, e: Ipv6ExtensionSpec, next: number): number {
  const size = ipv6ExtensionSize(e);
  out[at] = next;
  if (e.kind === "fragment") {
    const fo = e.fragmentOffset;
    if (fo % 8 !== 0 || fo < 0 || fo > 0xfff8)
      throw new RangeError(`fragment offset ${fo} is not a multiple of 8 in 0..65528`);
    dv.setUint16(at + 2, fo | (e.more ? 1 : 0));
    dv.setUint32(at + 4, e.id >>> 0);
    return at + 8;
  }
  out[at + 1] = (size >> 3) - 1;
  if (e.kind === "routing") {
    out[at + 2] = checkRange("routing type", e.routingType, 0xff);
    out[at + 3] = checkRange("segments left", e.segmentsLeft, 0xff);
    out.set(e.data, at + 4);
    return at + size;
  }
  let o = at + 2;
  for (const opt of e.options) {
    out[o] = checkRange("option type", opt.type, 0xff);
    if (opt.type === 0) {
      o++;
      continue;
    }
    out[o + 1] = checkRange("option length", opt.data.length, 0xff);
    out.set(opt.data, o + 2);
    o += 2 + opt.data.length;
  }
  // Pad to the 8-byte boundary: Pad1 for one byte, PadN otherwise.
  const pad = at + size - o;
  if (pad === 1) out[o] = 0;
  else if (pad > 1) {
    out[o] = 1;
    out[o + 1] = pad - 2;
  }
  return at + size;
}

function writeIpv4Option(out: Uint8Array, dv: DataView, at: number, o: Ipv4OptionSpec): number {
  const size = ipv4OptionSize(o);
  switch (o.kind) {
    case "eol":
      out[at] = Ipv4OptionType.EOL;
      return at + 1;
    case "nop":
      out[at] = Ipv4OptionType.NOP;
      return at + 1;
    case "rr":
    case "lsrr":
    case "ssrr":
      out[at] = o.kind === "rr" ? Ipv4OptionType.RR : o.kind === "lsrr" ? Ipv4OptionType.LSRR : Ipv4OptionType.SSRR;
      out[at + 2] = checkRange("pointer", o.pointer ?? 4, 0xff);
      for (let i = 0; i < o.addresses.length; i++) dv.setUint32(at + 3 + 4 * i, o.addresses[i]! >>> 0);
      break;
    case "ts": {
      out[at] = Ipv4OptionType.TS;
      out[at + 2] = checkRange("pointer", o.pointer ?? 5, 0xff);
      out[at + 3] = (checkRange("overflow", o.overflow ?? 0, 15) << 4) | checkRange("flag", o.flag, 15);
      const step = o.flag === 0 ? 4 : 8;
      o.entries.forEach((e, i) => {
        const p = at + 4 + step * i;
        if (step === 8) dv.setUint32(p, (e.address ?? 0) >>> 0);
        dv.setUint32(p + step - 4, e.timestamp >>> 0);
      });
      break;
    }
    case "ra":
      out[at] = Ipv4OptionType.RA;
      dv.setUint16(at + 2, checkRange("router alert value", o.value ?? 0, 0xffff));
      break;
    case "pval":
      writePvalOption(out, dv, at, o.cpu, o.seq, o.reserved ?? 0);
      return at + size;
    case "unknown":
      out[at] = checkRange("option type", o.type, 0xff);
      out.set(o.data, at + 2);
      break;
  }
  out[at + 1] = checkRange("option length", size, 0xff);
  return at + size;
}

function writeTcpOption(out: Uint8Array, dv: DataView, at: number, o: TcpOptionSpec): number {
  const size = tcpOptionSize(o);
  switch (o.kind) {
    case "eol":
      out[at] = TcpOptionKind.EOL;
      return at + 1;
    case "nop":
      out[at] = TcpOptionKind.NOP;
      return at + 1;
    case "mss":
      out[at] = TcpOptionKind.MSS;
      dv.setUint16(at + 2, checkRange("MSS", o.value, 0xffff));
      break;
    case "window-scale":
      out[at] = TcpOptionKind.WINDOW_SCALE;
      out[at + 2] = checkRange("window scale", o.shift, 0xff);
      break;
    case "sack-permitted":
      out[at] = TcpOptionKind.SACK_PERMITTED;
      break;
    case "sack":
      out[at] = TcpOptionKind.SACK;
      o.blocks.forEach((b, i) => {
        dv.setUint32(at + 2 + 8 * i, b.left >>> 0);
        dv.setUint32(at + 6 + 8 * i, b.right >>> 0);
      });
      break;
    case "timestamp":
      out[at] = TcpOptionKind.TIMESTAMP;
      dv.setUint32(at + 2, o.value >>> 0);
      dv.setUint32(at + 6, o.echo >>> 0);
      break;
    case "unknown":
      out[at] = checkRange("option kind", o.type, 0xff);
      out.set(o.data, at + 2);
      break;
  }
  out[at + 1] = checkRange("option length", size, 0xff);
  return at + size;
}

function writeTransport(
  out: Uint8Array,
  dv: DataView,
  start: number,
  end: number,
  spec: PacketSpec,
  pseudo: number,
): void {
  const payload = spec.payload ?? EMPTY;
  if (spec.tcp) {
    const t = spec.tcp;
    const hdr = transportSize(spec);
    if (hdr > 60) throw new RangeError(`TCP header of ${hdr} bytes, at most 60 fit`);
    dv.setUint16(start, checkRange("source port", t.srcPort, 0xffff));
    dv.setUint16(start + 2, checkRange("destination port", t.dstPort, 0xffff));
    dv.setUint32(start + 4, (t.seq ?? 0) >>> 0);
    dv.setUint32(start + 8, (t.ack ?? 0) >>> 0);
    const flags = checkRange("flags", t.flags ?? 0, 0x1ff);
    out[start + 12] = ((hdr >> 2) << 4) | (flags >> 8);
    out[start + 13] = flags & 0xff;
    dv.setUint16(start + 14, checkRange("window", t.window ?? 0xffff, 0xffff));
    dv.setUint16(start + 18, checkRange("urgent pointer", t.urgentPointer ?? 0, 0xffff));
    let at = start + 20;
    for (const o of t.options ?? []) at = writeTcpOption(out, dv, at, o);
    out.set(payload, start + hdr);
    dv.setUint16(start + 16, t.checksum ?? internetChecksum(out, start, end, pseudo));
  } else if (spec.udp) {
    const u = spec.udp;
    dv.setUint16(start, checkRange("source port", u.srcPort, 0xffff));
    dv.setUint16(start + 2, checkRange("destination port", u.dstPort, 0xffff));
    dv.setUint16(start + 4, u.length ?? checkRange("UDP length", end - start, 0xffff));
    out.set(payload, start + 8);
    // A computed 0 is sent as 0xffff: 0 means "no checksum" over IPv4.
    dv.setUint16(start + 6, u.checksum ?? (internetChecksum(out, start, end, pseudo) || 0xffff));
  } else if (spec.icmp || spec.icmpv6) {
    const v4 = spec.icmp;
    const m = (v4 ?? spec.icmpv6)!;
    out[start] = checkRange("type", m.type, 0xff);
    out[start + 1] = checkRange("code", m.code ?? 0, 0xff);
    let rest = m.rest;
    if (rest === undefined) {
      if (m.id !== undefined || m.sequence !== undefined) rest = ((m.id ?? 0) << 16) | (m.sequence ?? 0);
      else if (v4?.gateway !== undefined) rest = v4.gateway;
      else if (m.pointer !== undefined) rest = v4 ? m.pointer << 24 : m.pointer;
      else if (v4?.nextHopMtu !== undefined) rest = v4.nextHopMtu;
      else if (spec.icmpv6?.mtu !== undefined) rest = spec.icmpv6.mtu;
    }
    dv.setUint32(start + 4, (rest ?? 0) >>> 0);
    out.set(payload, start + 8);
    dv.setUint16(start + 2, m.checksum ?? internetChecksum(out, start, end, v4 ? 0 : pseudo));
  } else {
    out.set(payload, start);
  }
}
