// Full frame decoding: Ethernet II with 802.1Q/802.1ad tags, ARP, IPv4 with
// every option, IPv6 with its extension headers, ICMP, ICMPv6, TCP and UDP.
//
// Byte order: everything here is network order (big-endian), except the seq
// of option 222, which is little-endian (SPEC §2).
//
// Results are views: addresses, option bytes and payloads are `subarray`s of
// the input, never copies, and every `offset` counts from the start of the
// decoded input. Decoding never reads past the end and never throws on bad
// bytes: it returns what it could decode plus a marker — `truncated` (the
// capture ended inside a header, with the layer, as tcpdump prints `[|ip]`) or
// `malformed` (a field contradicts the rest). A bad option is kept as
// "invalid" (the walk goes on past a well-framed one and stops at a broken
// length byte) and the layers above are still decoded; any other marker stops
// decoding there. The first marker of each kind is kept.
// `decodeFrameStrict` turns the markers into NeedMoreBytesError / DecodeError.

import { DecodeError, type DecodeErrorCode, type Layer, NeedMoreBytesError } from "./errors.js";
import { PVAL_IPOPT_LEN, PVAL_IPOPT_TYPE } from "./generated/abi.js";
import type { SlotBatch } from "./slots.js";

// ---------------------------------------------------------------- constants

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  /** Pre-standard 802.1ad tag, still met in the field. */
  QINQ_OLD: 0x9100,
  IPV6: 0x86dd,
} as const;

export const IpProtocol = {
  HOP_BY_HOP: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTING: 43,
  IPV6_FRAGMENT: 44,
  ICMPV6: 58,
  IPV6_NO_NEXT: 59,
  IPV6_DESTINATION: 60,
} as const;

export const Ipv4OptionType = {
  EOL: 0,
  NOP: 1,
  RR: 7,
  TS: 68,
  LSRR: 131,
  SSRR: 137,
  RA: 148,
  PVAL: PVAL_IPOPT_TYPE,
} as const;

export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  /** Accurate ECN (formerly NS), the low bit of the data-offset byte. */
  AE: 0x100,
} as const;

export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

/** ICMP types whose body carries the datagram that caused them. */
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);
/** ICMP types whose rest-of-header is an identifier and a sequence number. */
const ICMP_ID_SEQ = new Set([0, 8, 13, 14, 15, 16, 17, 18]);
/** How deep ICMP errors are followed into their embedded datagrams. */
const MAX_EMBED_DEPTH = 2;

const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------- types

/** Where the capture ended inside a header. */
export interface Truncation {
  layer: Layer;
  /** Offset where the incomplete structure starts. */
  offset: number;
  /** Bytes it needs from `offset`. */
  needed: number;
  /** Bytes there were from `offset`. */
  available: number;
}

/** A field that contradicts the rest of the packet. */
export interface Malformation {
  layer: Layer;
  offset: number;
  code: DecodeErrorCode;
  message: string;
}

export interface EthernetHeader {
  offset: number;
  dst: Uint8Array;
  src: Uint8Array;
  /** The type field right after the source address (a TPID when tagged). */
  type: number;
  /** 14 plus 4 per VLAN tag: where the network header starts. */
  headerLength: number;
}

export interface VlanTag {
  offset: number;
  /** The tag protocol identifier that announced this tag (0x8100, 0x88a8, 0x9100). */
  tpid: number;
  pcp: number;
  dei: boolean;
  vid: number;
  /** The type field after this tag. */
  type: number;
}

export interface ArpPacket {
  offset: number;
  htype: number;
  ptype: number;
  hlen: number;
  plen: number;
  op: number;
  sha: Uint8Array;
  spa: Uint8Array;
  tha: Uint8Array;
  tpa: Uint8Array;
}

interface OptionBase {
  /** The option's type byte. */
  type: number;
  /** Offset of the type byte. */
  offset: number;
  /** Bytes the option occupies (for EOL: to the end of the options area). */
  length: number;
  /** The option's bytes as captured. */
  raw: Uint8Array;
}

export type Ipv4Option =
  | (OptionBase & { kind: "eol" })
  | (OptionBase & { kind: "nop" })
  | (OptionBase & { kind: "rr" | "lsrr" | "ssrr"; pointer: number; addresses: number[] })
  | (OptionBase & {
      kind: "ts";
      pointer: number;
      overflow: number;
      /** 0: timestamps only; 1: address and timestamp; 3: prespecified addresses. */
      flag: number;
      entries: { address?: number; timestamp: number }[];
    })
  | (OptionBase & { kind: "ra"; value: number })
  | (OptionBase & { kind: "pval"; reserved: number; cpu: number; seqLo: number; seqHi: number; seq: bigint })
  | (OptionBase & { kind: "unknown"; data: Uint8Array })
  | (OptionBase & { kind: "invalid"; reason: string });

export interface Ipv4Header {
  offset: number;
  version: number;
  /** IHL in bytes. */
  headerLength: number;
  tos: number;
  totalLength: number;
  id: number;
  /** The reserved ("evil") flag bit. */
  reservedFlag: boolean;
  df: boolean;
  mf: boolean;
  /** Fragment offset in bytes (the field times 8). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  /** Addresses as unsigned 32-bit integers; see ipv4ToString. */
  src: number;
  dst: number;
  options: Ipv4Option[];
}

export interface Ipv6Option {
  type: number;
  offset: number;
  /** Option data (empty for Pad1). */
  data: Uint8Array;
}

export type Ipv6Extension =
  | {
      kind: "hop-by-hop" | "destination";
      offset: number;
      nextHeader: number;
      /** Bytes of the extension header. */
      length: number;
      options: Ipv6Option[];
    }
  | {
      kind: "routing";
      offset: number;
      nextHeader: number;
      length: number;
      routingType: number;
      segmentsLeft: number;
      /** Bytes after the first four. */
      data: Uint8Array;
      /** For routing types 0 and 2: the addresses after the reserved word. */
      addresses: Uint8Array[];
    }
  | {
      kind: "fragment";
      offset: number;
      nextHeader: number;
      length: number;
      /** In bytes. */
      fragmentOffset: number;
      more: boolean;
      id: number;
    };

export interface Ipv6Header {
  offset: number;
  version: number;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
  extensions: Ipv6Extension[];
  /** The upper-layer protocol after the extension headers. */
  protocol: number;
  /** 40 plus the extension headers. */
  headerLength: number;
}

export interface IcmpMessage {
  offset: number;
  type: number;
  code: number;
  checksum: number;
  /** Bytes 4..7 as one u32, whatever the type. */
  rest: number;
  /** Echo, timestamp, information and address-mask messages. */
  id?: number;
  sequence?: number;
  /** Redirect (type 5). */
  gateway?: number;
  /** Parameter problem (type 12). */
  pointer?: number;
  /** Destination unreachable, fragmentation needed (type 3 code 4). */
  nextHopMtu?: number;
  /** Bytes after the 8-byte header. */
  payload: Uint8Array;
  /** Error messages: the datagram that caused the error, decoded. */
  embedded?: Packet;
}

export interface Icmpv6Message {
  offset: number;
  type: number;
  code: number;
  checksum: number;
  rest: number;
  /** Echo request / reply (128, 129). */
  id?: number;
  sequence?: number;
  /** Packet too big (2). */
  mtu?: number;
  /** Parameter problem (4). */
  pointer?: number;
  payload: Uint8Array;
  /** Error messages (1..4): the packet that caused the error, decoded. */
  embedded?: Packet;
}

export type TcpOption =
  | (OptionBase & { kind: "eol" })
  | (OptionBase & { kind: "nop" })
  | (OptionBase & { kind: "mss"; value: number })
  | (OptionBase & { kind: "window-scale"; shift: number })
  | (OptionBase & { kind: "sack-permitted" })
  | (OptionBase & { kind: "sack"; blocks: { left: number; right: number }[] })
  | (OptionBase & { kind: "timestamp"; value: number; echo: number })
  | (OptionBase & { kind: "unknown"; data: Uint8Array })
  | (OptionBase & { kind: "invalid"; reason: string });

export interface TcpHeader {
  offset: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Data offset in bytes. */
  headerLength: number;
  /** Bits of {@link TcpFlag}. */
  flags: number;
  window: number;
  checksum: number;
  urgentPointer: number;
  options: TcpOption[];
  payload: Uint8Array;
}

export interface UdpHeader {
  offset: number;
  srcPort: number;
  dstPort: number;
  length: number;
  checksum: number;
  payload: Uint8Array;
}

/** A network-layer packet and what it carries. */
export interface Packet {
  ipv4: Ipv4Header | undefined;
  ipv6: Ipv6Header | undefined;
  icmp: IcmpMessage | undefined;
  icmpv6: Icmpv6Message | undefined;
  tcp: TcpHeader | undefined;
  udp: UdpHeader | undefined;
  /** The bytes after the last decoded header (bounded by the IP and UDP lengths). */
  payload: Uint8Array;
  /** Where `payload` starts and ends (exclusive) in the input. */
  payloadOffset: number;
  payloadEnd: number;
  /** Set when the capture ended inside a header. */
  truncated: Truncation | undefined;
  /** Set when a field is malformed. */
  malformed: Malformation | undefined;
}

/** A decoded Ethernet frame. */
export interface Frame extends Packet {
  /** The input, as given. */
  bytes: Uint8Array;
  /** Bytes captured (the input's length). */
  captured: number;
  /** Length on the wire as claimed by the capture (a slot's pktlen); defaults to `captured`. */
  wireLength: number;
  ethernet: EthernetHeader | undefined;
  vlans: VlanTag[];
  /** The innermost ethertype (after the VLAN tags); 0 if the Ethernet header is cut. */
  ethertype: number;
  arp: ArpPacket | undefined;
}

export interface DecodeOptions {
  /** The frame's length on the wire, when only a prefix was captured. */
  wireLength?: number;
}

// ---------------------------------------------------------------- entry points

/** Decodes an Ethernet frame. Never throws on bad bytes; see the module comment. */
export function decodeFrame(bytes: Uint8Array, options?: DecodeOptions): Frame {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  const frame: Frame = {
    bytes,
    captured: end,
    wireLength: options?.wireLength ?? end,
    ethernet: undefined,
    vlans: [],
    ethertype: 0,
    arp: undefined,
    ipv4: undefined,
    ipv6: undefined,
    icmp: undefined,
    icmpv6: undefined,
    tcp: undefined,
    udp: undefined,
    payload: bytes,
    payloadOffset: 0,
    payloadEnd: end,
    truncated: undefined,
    malformed: undefined,
  };
  if (end < 14) {
    truncate(frame, "ethernet", 0, 14, end);
    return finishPayload(frame, bytes);
  }
  let type = dv.getUint16(12);
  let off = 12;
  const eth: EthernetHeader = {
    offset: 0,
    dst: bytes.subarray(0, 6),
    src: bytes.subarray(6, 12),
    type,
    headerLength: 14,
  };
  frame.ethernet = eth;
  while (type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_OLD) {
    if (off + 6 > end) {
      setPayload(frame, off + 2, end);
      truncate(frame, "vlan", off + 2, 4, end - off - 2);
      return finishPayload(frame, bytes);
    }
    const tci = dv.getUint16(off + 2);
    const next = dv.getUint16(off + 4);
    frame.vlans.push({
      offset: off + 2,
      tpid: type,
      pcp: tci >> 13,
      dei: (tci & 0x1000) !== 0,
      vid: tci & 0x0fff,
      type: next,
    });
    type = next;
    off += 4;
  }
  off += 2;
  eth.headerLength = off;
  frame.ethertype = type;
  if (type === EtherType.ARP) decodeArp(bytes, dv, off, end, frame);
  else if (type === EtherType.IPV4) decodeIpv4(bytes, dv, off, end, frame, 0);
  else if (type === EtherType.IPV6) decodeIpv6(bytes, dv, off, end, frame, 0);
  else setPayload(frame, off, end);
  return finishPayload(frame, bytes);
}

/** Decodes an IPv4 or IPv6 packet (no link header); the version nibble picks the decoder. */
export function decodePacket(bytes: Uint8Array): Packet {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeIpAt(bytes, dv, 0, bytes.length, 0);
}

/** Like {@link decodeFrame}, but a truncation or malformation throws {@link NeedMoreBytesError} or {@link DecodeError}. */
export function decodeFrameStrict(bytes: Uint8Array, options?: DecodeOptions): Frame {
  const frame = decodeFrame(bytes, options);
  throwIfFlawed(frame);
  return frame;
}

/** Decodes the frame stored in slot `i` (validating the slot, see SlotBatch.pkt). */
export function decodeSlot(batch: SlotBatch, i: number): Frame {
  return decodeFrame(batch.pkt(i), { wireLength: batch.pktlen(i) });
}

/** Throws the typed error matching a packet's truncation or malformation marker, if any. */
export function throwIfFlawed(packet: Packet): void {
  const t = packet.truncated;
  if (t) throw new NeedMoreBytesError(t.layer, t.offset, t.needed, t.available);
  const m = packet.malformed;
  if (m) throw new DecodeError(m.code, m.layer, m.offset, m.message);
}

// ---------------------------------------------------------------- helpers

function truncate(pkt: Packet, layer: Layer, offset: number, needed: number, available: number): void {
  pkt.truncated = { layer, offset, needed, available: Math.max(available, 0) };
}

function malform(pkt: Packet, layer: Layer, offset: number, code: DecodeErrorCode, message: string): void {
  pkt.malformed ??= { layer, offset, code, message };
}

// Layers move the payload bounds as they go; one view is cut at the end.
function setPayload(pkt: Packet, start: number, end: number): void {
  pkt.payloadOffset = Math.min(start, end);
  pkt.payloadEnd = end;
}

function finishPayload<P extends Packet>(pkt: P, u8: Uint8Array): P {
  const payload = u8.subarray(pkt.payloadOffset, pkt.payloadEnd);
  pkt.payload = payload;
  if (pkt.tcp) pkt.tcp.payload = payload;
  else if (pkt.udp) pkt.udp.payload = payload;
  else if (pkt.icmp) pkt.icmp.payload = payload;
  else if (pkt.icmpv6) pkt.icmpv6.payload = payload;
  return pkt;
}

function emptyPacket(start: number): Packet {
  return {
    ipv4: undefined,
    ipv6: undefined,
    icmp: undefined,
    icmpv6: undefined,
    tcp: undefined,
    udp: undefined,
    payload: EMPTY,
    payloadOffset: start,
    payloadEnd: start,
    truncated: undefined,
    malformed: undefined,
  };
}

function decodeIpAt(u8: Uint8Array, dv: DataView, off: number, end: number, depth: number): Packet {
  const pkt = emptyPacket(off);
  setPayload(pkt, off, end);
  if (off >= end) {
    truncate(pkt, "ipv4", off, 20, end - off);
    return finishPayload(pkt, u8);
  }
  const version = u8[off]! >> 4;
  if (version === 6) decodeIpv6(u8, dv, off, end, pkt, depth);
  else decodeIpv4(u8, dv, off, end, pkt, depth);
  return finishPayload(pkt, u8);
}

// ---------------------------------------------------------------- ARP

function decodeArp(u8: Uint8Array, dv: DataView, off: number, end: number, frame: Frame): void {
  setPayload(frame, off, end);
  if (off + 8 > end) {
    truncate(frame, "arp", off, 8, end - off);
    return;
  }
  const hlen = u8[off + 4]!;
  const plen = u8[off + 5]!;
  const need = 8 + 2 * (hlen + plen);
  if (off + need > end) {
    truncate(frame, "arp", off, need, end - off);
    return;
  }
  let q = off + 8;
  const sha = u8.subarray(q, (q += hlen));
  const spa = u8.subarray(q, (q += plen));
  const tha = u8.subarray(q, (q += hlen));
  const tpa = u8.subarray(q, (q += plen));
  frame.arp = {
    offset: off,
    htype: dv.getUint16(off),
    ptype: dv.getUint16(off + 2),
    hlen,
    plen,
    op: dv.getUint16(off + 6),
    sha,
    spa,
    tha,
    tpa,
  };
  setPayload(frame, q, end);
}

// ---------------------------------------------------------------- IPv4

function decodeIpv4(u8: Uint8Array, dv: DataView, off: number, end: number, pkt: Packet, depth: number): void {
  setPayload(pkt, off, end);
  if (off + 20 > end) {
    truncate(pkt, "ipv4", off, 20, end - off);
    return;
  }
  const vihl = u8[off]!;
  const headerLength = (vihl & 0x0f) << 2;
  const totalLength = dv.getUint16(off + 2);
  const frag = dv.getUint16(off + 6);
  const h: Ipv4Header = {
    offset: off,
    version: vihl >> 4,
    headerLength,
    tos: u8[off + 1]!,
    totalLength,
    id: dv.getUint16(off + 4),
    reservedFlag: (frag & 0x8000) !== 0,
    df: (frag & 0x4000) !== 0,
    mf: (frag & 0x2000) !== 0,
    fragmentOffset: (frag & 0x1fff) << 3,
    ttl: u8[off + 8]!,
    protocol: u8[off + 9]!,
    checksum: dv.getUint16(off + 10),
    src: dv.getUint32(off + 12),
    dst: dv.getUint32(off + 16),
    options: [],
  };
  pkt.ipv4 = h;
  if (h.version !== 4) {
    malform(pkt, "ipv4", off, "BAD_VERSION", `IP version ${h.version}, expected 4`);
    return;
  }
  if (headerLength < 20) {
    malform(pkt, "ipv4", off, "BAD_HEADER_LENGTH", `header length ${headerLength} < 20`);
    return;
  }
  const hdrEnd = off + headerLength;
  if (headerLength > 20) {
    const status = decodeIpv4Options(u8, dv, off + 20, hdrEnd, Math.min(hdrEnd, end), h.options);
    if (status !== undefined) malform(pkt, "ipv4", status.offset, "BAD_OPTION_LENGTH", status.reason);
  }
  if (totalLength < headerLength) {
    malform(pkt, "ipv4", off, "BAD_TOTAL_LENGTH", `total length ${totalLength} < header length ${headerLength}`);
    return;
  }
  if (hdrEnd > end) {
    truncate(pkt, "ipv4", off, headerLength, end - off);
    return;
  }
  const claimedEnd = off + totalLength;
  const l4End = Math.min(end, claimedEnd);
  setPayload(pkt, hdrEnd, l4End);
  if (h.fragmentOffset !== 0) return;
  decodeTransport(u8, dv, h.protocol, hdrEnd, l4End, claimedEnd, pkt, depth, 4);
}

interface OptionFault {
  offset: number;
  reason: string;
}

// Walks the options in [start, limit) of a header that ends at hdrEnd (limit <
// hdrEnd when the capture is shorter); IPv4 and TCP share the framing: EOL (0)
// ends the list, NOP (1) is one byte, every other option is type, length,
// data. A framing fault (length < 2, or past the header) ends the walk; an
// option whose length is wrong for its kind — `body` returns the reason — is
// kept as "invalid" and the walk goes on. Returns the first fault; stops
// quietly at the capture's end.
function walkOptions<T extends { kind: string }>(
  u8: Uint8Array,
  start: number,
  hdrEnd: number,
  limit: number,
  out: T[],
  body: (type: number, q: number, length: number, raw: Uint8Array) => T | string,
): OptionFault | undefined {
  let q = start;
  let first: OptionFault | undefined;
  const list = out as unknown as Ipv4Option[];
  while (q < limit) {
    const type = u8[q]!;
    if (type === 0) {
      list.push({ kind: "eol", type, offset: q, length: hdrEnd - q, raw: u8.subarray(q, limit) });
      return first;
    }
    if (type === 1) {
      list.push({ kind: "nop", type, offset: q, length: 1, raw: u8.subarray(q, q + 1) });
      q++;
      continue;
    }
    if (q + 1 >= limit) {
      if (limit < hdrEnd) return first;
      return first ?? invalidOption(list, u8, type, q, limit, `option ${type} has no length byte`);
    }
    const length = u8[q + 1]!;
    if (length < 2) return first ?? invalidOption(list, u8, type, q, limit, `option ${type} length ${length} < 2`);
    if (q + length > hdrEnd) {
      return first ?? invalidOption(list, u8, type, q, limit, `option ${type} length ${length} runs past the header`);
    }
    if (q + length > limit) return first;
    const option = body(type, q, length, u8.subarray(q, q + length));
    if (typeof option === "string") first ??= invalidOption(list, u8, type, q, q + length, option);
    else out.push(option);
    q += length;
  }
  return first;
}

function decodeIpv4Options(
  u8: Uint8Array,
  dv: DataView,
  start: number,
  hdrEnd: number,
  limit: number,
  out: Ipv4Option[],
): OptionFault | undefined {
  return walkOptions(u8, start, hdrEnd, limit, out, (type, q, length, raw): Ipv4Option | string => {
    switch (type) {
      case Ipv4OptionType.RR:
      case Ipv4OptionType.LSRR:
      case Ipv4OptionType.SSRR: {
        if (length < 3 || (length - 3) % 4 !== 0) return `route option length ${length} is not 3 + 4n`;
        const addresses: number[] = [];
        for (let a = q + 3; a < q + length; a += 4) addresses.push(dv.getUint32(a));
        const kind = type === Ipv4OptionType.RR ? "rr" : type === Ipv4OptionType.LSRR ? "lsrr" : "ssrr";
        return { type, offset: q, length, raw, kind, pointer: u8[q + 2]!, addresses };
      }
      case Ipv4OptionType.TS: {
        const flag = length >= 4 ? u8[q + 3]! & 0x0f : 0;
        const entrySize = flag === 0 ? 4 : 8;
        if (length < 4 || (length - 4) % entrySize !== 0) {
          return `timestamp option length ${length} is not 4 + ${entrySize}n`;
        }
        const entries: { address?: number; timestamp: number }[] = [];
        for (let a = q + 4; a < q + length; a += entrySize) {
          entries.push(
            entrySize === 4
              ? { timestamp: dv.getUint32(a) }
              : { address: dv.getUint32(a), timestamp: dv.getUint32(a + 4) },
          );
        }
        const overflow = u8[q + 3]! >> 4;
        return { type, offset: q, length, raw, kind: "ts", pointer: u8[q + 2]!, overflow, flag, entries };
      }
      case Ipv4OptionType.RA:
        if (length !== 4) return `router alert length ${length} != 4`;
        return { type, offset: q, length, raw, kind: "ra", value: dv.getUint16(q + 2) };
      case Ipv4OptionType.PVAL: {
        if (length !== PVAL_IPOPT_LEN) return `pval option length ${length} != ${PVAL_IPOPT_LEN}`;
        const seqLo = dv.getUint32(q + 4, true);
        const seqHi = dv.getUint32(q + 8, true);
        const seq = (BigInt(seqHi) << 32n) | BigInt(seqLo);
        return { type, offset: q, length, raw, kind: "pval", reserved: u8[q + 2]!, cpu: u8[q + 3]!, seqLo, seqHi, seq };
      }
      default:
        return { type, offset: q, length, raw, kind: "unknown", data: u8.subarray(q + 2, q + length) };
    }
  });
}

function invalidOption(
  out: { kind: string }[],
  u8: Uint8Array,
  type: number,
  q: number,
  limit: number,
  reason: string,
): OptionFault {
  const length = q + 1 < limit ? u8[q + 1]! : 0;
  (out as Ipv4Option[]).push({ kind: "invalid", type, offset: q, length, raw: u8.subarray(q, limit), reason });
  return { offset: q, reason };
}

// ---------------------------------------------------------------- IPv6

function decodeIpv6(u8: Uint8Array, dv: DataView, off: number, end: number, pkt: Packet, depth: number): void {
  setPayload(pkt, off, end);
  if (off + 40 > end) {
    truncate(pkt, "ipv6", off, 40, end - off);
    return;
  }
  const word = dv.getUint32(off);
  const payloadLength = dv.getUint16(off + 4);
  const nextHeader = u8[off + 6]!;
  const h: Ipv6Header = {
    offset: off,
    version: word >>> 28,
    trafficClass: (word >>> 20) & 0xff,
    flowLabel: word & 0xfffff,
    payloadLength,
    nextHeader,
    hopLimit: u8[off + 7]!,
    src: u8.subarray(off + 8, off + 24),
    dst: u8.subarray(off + 24, off + 40),
    extensions: [],
    protocol: nextHeader,
    headerLength: 40,
  };
  pkt.ipv6 = h;
  if (h.version !== 6) {
    malform(pkt, "ipv6", off, "BAD_VERSION", `IP version ${h.version}, expected 6`);
    return;
  }
  // A zero payload length means a jumbogram: the capture bounds it.
  const claimedEnd = payloadLength === 0 ? end : off + 40 + payloadLength;
  const limit = Math.min(end, claimedEnd);
  let nh = nextHeader;
  let q = off + 40;
  let fragmented = false;
  for (;;) {
    const layer: Layer | undefined =
      nh === IpProtocol.HOP_BY_HOP
        ? "ipv6-hop-by-hop"
        : nh === IpProtocol.IPV6_ROUTING
          ? "ipv6-routing"
          : nh === IpProtocol.IPV6_FRAGMENT
            ? "ipv6-fragment"
            : nh === IpProtocol.IPV6_DESTINATION
              ? "ipv6-destination"
              : undefined;
    if (layer === undefined) break;
    if (q + 8 > end) {
      setPayload(pkt, q, limit);
      truncate(pkt, layer, q, 8, end - q);
      return;
    }
    const next = u8[q]!;
    const length = nh === IpProtocol.IPV6_FRAGMENT ? 8 : (u8[q + 1]! + 1) << 3;
    if (q + length > claimedEnd) {
      setPayload(pkt, q, limit);
      malform(pkt, layer, q, "BAD_HEADER_LENGTH", `extension header length ${length} runs past the payload length`);
      return;
    }
    if (q + length > end) {
      setPayload(pkt, q, limit);
      truncate(pkt, layer, q, length, end - q);
      return;
    }
    if (nh === IpProtocol.IPV6_FRAGMENT) {
      const fo = dv.getUint16(q + 2);
      const fragmentOffset = fo & 0xfff8;
      h.extensions.push({
        kind: "fragment",
        offset: q,
        nextHeader: next,
        length,
        fragmentOffset,
        more: (fo & 1) !== 0,
        id: dv.getUint32(q + 4),
      });
      if (fragmentOffset !== 0) fragmented = true;
    } else if (nh === IpProtocol.IPV6_ROUTING) {
      const routingType = u8[q + 2]!;
      const addresses: Uint8Array[] = [];
      if (routingType === 0 || routingType === 2) {
        for (let a = q + 8; a + 16 <= q + length; a += 16) addresses.push(u8.subarray(a, a + 16));
      }
      h.extensions.push({
        kind: "routing",
        offset: q,
        nextHeader: next,
        length,
        routingType,
        segmentsLeft: u8[q + 3]!,
        data: u8.subarray(q + 4, q + length),
        addresses,
      });
    } else {
      const options: Ipv6Option[] = [];
      const kind = nh === IpProtocol.HOP_BY_HOP ? "hop-by-hop" : "destination";
      h.extensions.push({ kind, offset: q, nextHeader: next, length, options });
      let o = q + 2;
      while (o < q + length) {
        const type = u8[o]!;
        if (type === 0) {
          options.push({ type, offset: o, data: u8.subarray(o + 1, o + 1) });
          o++;
          continue;
        }
        if (o + 2 > q + length || o + 2 + u8[o + 1]! > q + length) {
          setPayload(pkt, q, limit);
          malform(pkt, layer, o, "BAD_OPTION_LENGTH", `option ${type} runs past its extension header`);
          return;
        }
        const dlen = u8[o + 1]!;
        options.push({ type, offset: o, data: u8.subarray(o + 2, o + 2 + dlen) });
        o += 2 + dlen;
      }
    }
    nh = next;
    q += length;
  }
  h.protocol = nh;
  h.headerLength = q - off;
  setPayload(pkt, q, limit);
  if (fragmented || nh === IpProtocol.IPV6_NO_NEXT) return;
  decodeTransport(u8, dv, nh, q, limit, claimedEnd, pkt, depth, 6);
}

// ---------------------------------------------------------------- transport

// [off, end) is what was captured of the transport segment, claimedEnd where
// the IP header says it ends.
function decodeTransport(
  u8: Uint8Array,
  dv: DataView,
  protocol: number,
  off: number,
  end: number,
  claimedEnd: number,
  pkt: Packet,
  depth: number,
  ipVersion: 4 | 6,
): void {
  if (protocol === IpProtocol.TCP) decodeTcp(u8, dv, off, end, claimedEnd, pkt);
  else if (protocol === IpProtocol.UDP) decodeUdp(dv, off, end, pkt);
  else if (protocol === IpProtocol.ICMP && ipVersion === 4) decodeIcmp(u8, dv, off, end, pkt, depth);
  else if (protocol === IpProtocol.ICMPV6 && ipVersion === 6) decodeIcmpv6(u8, dv, off, end, pkt, depth);
}

function decodeTcp(u8: Uint8Array, dv: DataView, off: number, end: number, claimedEnd: number, pkt: Packet): void {
  if (off + 20 > end) {
    truncate(pkt, "tcp", off, 20, end - off);
    return;
  }
  const headerLength = (u8[off + 12]! >> 4) << 2;
  const h: TcpHeader = {
    offset: off,
    srcPort: dv.getUint16(off),
    dstPort: dv.getUint16(off + 2),
    seq: dv.getUint32(off + 4),
    ack: dv.getUint32(off + 8),
    headerLength,
    flags: ((u8[off + 12]! & 1) << 8) | u8[off + 13]!,
    window: dv.getUint16(off + 14),
    checksum: dv.getUint16(off + 16),
    urgentPointer: dv.getUint16(off + 18),
    options: [],
    payload: EMPTY,
  };
  pkt.tcp = h;
  setPayload(pkt, off + 20, end);
  if (headerLength < 20) {
    malform(pkt, "tcp", off, "BAD_HEADER_LENGTH", `data offset ${headerLength} < 20`);
    return;
  }
  const hdrEnd = off + headerLength;
  if (hdrEnd > claimedEnd) {
    malform(pkt, "tcp", off, "BAD_HEADER_LENGTH", `data offset ${headerLength} runs past the IP payload`);
    return;
  }
  const fault = decodeTcpOptions(u8, dv, off + 20, hdrEnd, Math.min(hdrEnd, end), h.options);
  if (fault) malform(pkt, "tcp", fault.offset, "BAD_OPTION_LENGTH", fault.reason);
  if (hdrEnd > end) {
    truncate(pkt, "tcp", off, headerLength, end - off);
    return;
  }
  setPayload(pkt, hdrEnd, end);
}

function decodeTcpOptions(
  u8: Uint8Array,
  dv: DataView,
  start: number,
  hdrEnd: number,
  limit: number,
  out: TcpOption[],
): OptionFault | undefined {
  return walkOptions(u8, start, hdrEnd, limit, out, (type, q, length, raw): TcpOption | string => {
    const wrong = (n: number): string => `option ${type} length ${length} != ${n}`;
    switch (type) {
      case TcpOptionKind.MSS:
        return length === 4 ? { type, offset: q, length, raw, kind: "mss", value: dv.getUint16(q + 2) } : wrong(4);
      case TcpOptionKind.WINDOW_SCALE:
        return length === 3 ? { type, offset: q, length, raw, kind: "window-scale", shift: u8[q + 2]! } : wrong(3);
      case TcpOptionKind.SACK_PERMITTED:
        return length === 2 ? { type, offset: q, length, raw, kind: "sack-permitted" } : wrong(2);
      case TcpOptionKind.SACK: {
        if ((length - 2) % 8 !== 0) return `SACK length ${length} is not 2 + 8n`;
        const blocks: { left: number; right: number }[] = [];
        for (let a = q + 2; a < q + length; a += 8) blocks.push({ left: dv.getUint32(a), right: dv.getUint32(a + 4) });
        return { type, offset: q, length, raw, kind: "sack", blocks };
      }
      case TcpOptionKind.TIMESTAMP:
        return length === 10
          ? { type, offset: q, length, raw, kind: "timestamp", value: dv.getUint32(q + 2), echo: dv.getUint32(q + 6) }
          : wrong(10);
      default:
        return { type, offset: q, length, raw, kind: "unknown", data: u8.subarray(q + 2, q + length) };
    }
  });
}

function decodeUdp(dv: DataView, off: number, end: number, pkt: Packet): void {
  if (off + 8 > end) {
    truncate(pkt, "udp", off, 8, end - off);
    return;
  }
  const length = dv.getUint16(off + 4);
  const h: UdpHeader = {
    offset: off,
    srcPort: dv.getUint16(off),
    dstPort: dv.getUint16(off + 2),
    length,
    checksum: dv.getUint16(off + 6),
    payload: EMPTY,
  };
  pkt.udp = h;
  if (length < 8) {
    setPayload(pkt, off + 8, end);
    malform(pkt, "udp", off, "BAD_TOTAL_LENGTH", `UDP length ${length} < 8`);
    return;
  }
  setPayload(pkt, off + 8, Math.min(end, off + length));
}

function decodeIcmp(u8: Uint8Array, dv: DataView, off: number, end: number, pkt: Packet, depth: number): void {
  if (off + 8 > end) {
    truncate(pkt, "icmp", off, 8, end - off);
    return;
  }
  const type = u8[off]!;
  const code = u8[off + 1]!;
  setPayload(pkt, off + 8, end);
  const h: IcmpMessage = {
    offset: off,
    type,
    code,
    checksum: dv.getUint16(off + 2),
    rest: dv.getUint32(off + 4),
    payload: EMPTY,
  };
  if (ICMP_ID_SEQ.has(type)) {
    h.id = dv.getUint16(off + 4);
    h.sequence = dv.getUint16(off + 6);
  } else if (type === 5) {
    h.gateway = dv.getUint32(off + 4);
  } else if (type === 12) {
    h.pointer = u8[off + 4]!;
  } else if (type === 3 && code === 4) {
    h.nextHopMtu = dv.getUint16(off + 6);
  }
  pkt.icmp = h;
  if (ICMP_ERRORS.has(type) && depth < MAX_EMBED_DEPTH && off + 8 < end) {
    h.embedded = decodeIpAt(u8, dv, off + 8, end, depth + 1);
  }
}

function decodeIcmpv6(u8: Uint8Array, dv: DataView, off: number, end: number, pkt: Packet, depth: number): void {
  if (off + 8 > end) {
    truncate(pkt, "icmpv6", off, 8, end - off);
    return;
  }
  const type = u8[off]!;
  setPayload(pkt, off + 8, end);
  const h: Icmpv6Message = {
    offset: off,
    type,
    code: u8[off + 1]!,
    checksum: dv.getUint16(off + 2),
    rest: dv.getUint32(off + 4),
    payload: EMPTY,
  };
  if (type === 128 || type === 129) {
    h.id = dv.getUint16(off + 4);
    h.sequence = dv.getUint16(off + 6);
  } else if (type === 2) {
    h.mtu = dv.getUint32(off + 4);
  } else if (type === 4) {
    h.pointer = dv.getUint32(off + 4);
  }
  pkt.icmpv6 = h;
  if (type >= 1 && type <= 4 && depth < MAX_EMBED_DEPTH && off + 8 < end) {
    h.embedded = decodeIpAt(u8, dv, off + 8, end, depth + 1);
  }
}
