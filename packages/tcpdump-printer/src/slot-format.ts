// Text renderings of pval slots, one line per slot: the reference tools'
// dump-one, dump-multi and look-tcp forms (SPEC.md section 4) and a JSON
// object per slot.
//
// Byte order: slot fields are native (read through @pval/decode's
// SlotBatch / readPvalFields), the frame is network order.
//
// The three reference forms are the original tools' lines, character for
// character, for every frame: they read the outer Ethernet header only (a
// VLAN-tagged frame is Type8100 and nothing more), print IPv4 addresses
// whenever the outer ethertype is 0x0800, take the TCP header where the IHL
// points, and never say that a frame is short or malformed. The original
// tools read their zeroed slot buffers; here too, bytes that a short frame
// lacks read as zero, so every line keeps its form. What the frame really
// holds (VLAN tags, inner ethertype, truncation, option 222) is in the JSON.
//
//   dump-one    0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 10.0.0.2 -> 10.0.0.3
//               0 ea:51:d7:0c:95:1a -> 08:00:27:19:12:a4 Type0806
//   dump-multi  /dev/pval/pval0-rx-cpu-0: TS=0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type 0x0800 10.0.0.2 -> 10.0.0.3
//               /dev/pval/pval0-tx-cpu-0: TS=0 ea:51:d7:0c:95:1a -> 08:00:27:19:12:a4 Type 0x0806 (a space ends it)
//   look-tcp    /dev/pval/pval0-rx-cpu-0 TS=0 PKTLEN=74 ETHER_TYPE=0x0800 IP_PROTO=6 SYN=1 ACK=0 PSH=0 RST=0 FIN=0
//               /dev/pval/pval0-rx-cpu-0 TS=0 PKTLEN=98 ETHER_TYPE=0x0800 IP_PROTO=1 (a space ends it)
//               /dev/pval/pval0-tx-cpu-0 TS=0 PKTLEN=42 ETHER_TYPE=0x0806 (a space ends it)
//   json        {"device":"/dev/pval/pval0-rx-cpu-0","direction":"rx","cpu":0,"tstamp":"0",...}
//               ("clock":"software-rx-stack" before "tstamp" when the source names its clock;
//               the ethertype is the innermost one, after any VLAN tags, which "vlans" counts)
//
// Speed: `pval dump` formats every slot a ring hands over, at the rate the
// kernel fills it, so the lines are written as bytes straight into one
// buffer per batch (UTF-8; everything but the device path is ASCII): no
// string, object or BigInt per slot, nothing for the garbage collector, and
// one write(2) per batch. The text of a batch's source (device, direction,
// CPU) is encoded once and kept while the source stays the same.

import {
  FieldStatus,
  IpProtocol,
  PVAL_SLOT_PKT_SIZE,
  PvalFields,
  readPvalFields,
  type SlotBatch,
  TcpFlag,
} from "@pval/decode";

export { readCaptureSlots, type SlotClock, type SlotDevice, SlotPcapngWriter } from "./slot-format-pcap.js";

export type SlotFormat = "dump-one" | "dump-multi" | "look-tcp" | "json";

export const SLOT_FORMATS: readonly SlotFormat[] = ["dump-one", "dump-multi", "look-tcp", "json"];

/** Where a slot came from; dump-multi, look-tcp and JSON print it. */
export interface SlotSource {
  /** Device path (or capture file name). */
  device?: string | undefined;
  direction?: "tx" | "rx" | undefined;
  /** The ring's CPU (not the option's). */
  cpu?: number | undefined;
  /** The clock that stamped the slots (@pval/netlink's timestampClock()); JSON prints it. */
  clock?: string | undefined;
}

const ETHER_HEADER = 14;
const IPV4_HEADER = 20;
const TCP_FLAGS_AT = 13;
const ETHERTYPE_IPV4 = 0x0800;
/** The reference forms read at most this far into a frame: Ethernet, a 60-byte IPv4 header, TCP's flags. */
const REFERENCE_READ = ETHER_HEADER + 60 + TCP_FLAGS_AT + 1;
const NEWLINE = 10;
const COLON = 58;
const DOT = 46;
const ZERO = 48;
/** The longest line, past its source text: an invalid slot's two u32s or a full JSON object. */
const MAX_LINE = 512;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ascii = (s: string): Uint8Array => encoder.encode(s);

const HEX = ascii("0123456789abcdef");
/** 10^k for k = 0..16, for counting the digits of integers below 2^53. */
const POW10 = Array.from({ length: 17 }, (_, k) => 10 ** k);

// Constant pieces of the lines.
const ARROW = ascii(" -> ");
const TYPE = ascii(" Type");
const TYPE_0X = ascii(" Type 0x");
const COMMA_SPACE = ascii(", ");
const PKTLEN_EQ = ascii("PKTLEN=");
const ETHER_TYPE_EQ = ascii(" ETHER_TYPE=0x");
const IP_PROTO_EQ = ascii("IP_PROTO=");
const SYN_EQ = ascii("SYN=");
const ACK_EQ = ascii(" ACK=");
const PSH_EQ = ascii(" PSH=");
const RST_EQ = ascii(" RST=");
const FIN_EQ = ascii(" FIN=");
const J_LEN = ascii('","len":');
const J_PKTLEN = ascii(',"pktlen":');
const J_INVALID = ascii(',"invalid":"slot"}');
const J_SRC = ascii(',"src":"');
const J_DST = ascii('","dst":"');
const J_ETHERTYPE = ascii('","ethertype":');
const J_VLANS = ascii(',"vlans":');
const J_IP_SRC = ascii(',"ipSrc":"');
const J_IP_DST = ascii('","ipDst":"');
const J_IP_PROTO = ascii('","ipProto":');
const J_TCP_FLAGS = ascii(',"tcpFlags":');
const J_PVAL_CPU = ascii(',"pval":{"cpu":');
const J_SEQ = ascii(',"seq":"');
const J_SEQ_END = ascii('"}');
const J_TRUNCATED = ascii(',"truncated":true');
const J_MALFORMED = ascii(',"malformed":true');

// Each put* writes at o[p..] and returns the position after what it wrote;
// the caller has made room.

function put(o: Uint8Array, p: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n > 24) o.set(bytes, p);
  else for (let k = 0; k < n; k++) o[p + k] = bytes[k]!;
  return p + n;
}

/** An integer from 0 to 2^53 - 1 in decimal. */
function putUint(o: Uint8Array, p: number, v: number): number {
  let digits = 1;
  while (digits < 16 && v >= POW10[digits]!) digits++;
  let at = p + digits;
  if (v <= 0xffffffff) {
    let t = v >>> 0;
    while (t >= 10) {
      const q = (t / 10) >>> 0;
      o[--at] = ZERO + (t - q * 10);
      t = q;
    }
    o[--at] = ZERO + t;
  } else {
    let t = v;
    while (t >= 10) {
      const q = Math.floor(t / 10);
      o[--at] = ZERO + (t - q * 10);
      t = q;
    }
    o[--at] = ZERO + t;
  }
  return p + digits;
}

/**
 * A u64 given as two u32 halves, in decimal, exact, without a BigInt: ns
 * timestamps are far above 2^53. With 2^32 = 4294 * 10^6 + 967296, the value
 * is high * 10^6 + low where both parts stay below 2^53.
 */
function putU64(o: Uint8Array, p: number, hi: number, lo: number): number {
  if (hi < 0x200000) return putUint(o, p, hi * 0x100000000 + lo);
  const b = hi * 967296 + lo;
  let low = b % 1e6;
  p = putUint(o, p, hi * 4294 + (b - low) / 1e6);
  for (let at = p + 5; at >= p; at--) {
    const q = (low / 10) | 0;
    o[at] = ZERO + (low - q * 10);
    low = q;
  }
  return p + 6;
}

function putMac(o: Uint8Array, p: number, u8: Uint8Array, at: number): number {
  for (let k = 0; k < 6; k++) {
    const b = u8[at + k]!;
    o[p] = HEX[b >>> 4]!;
    o[p + 1] = HEX[b & 15]!;
    o[p + 2] = COLON;
    p += 3;
  }
  return p - 1;
}

function putIpv4(o: Uint8Array, p: number, a: number): number {
  p = putUint(o, p, a >>> 24);
  o[p++] = DOT;
  p = putUint(o, p, (a >>> 16) & 0xff);
  o[p++] = DOT;
  p = putUint(o, p, (a >>> 8) & 0xff);
  o[p++] = DOT;
  return putUint(o, p, a & 0xff);
}

function be32(u8: Uint8Array, at: number): number {
  return ((u8[at]! << 24) | (u8[at + 1]! << 16) | (u8[at + 2]! << 8) | u8[at + 3]!) >>> 0;
}

function putHex4(o: Uint8Array, p: number, v: number): number {
  o[p] = HEX[(v >>> 12) & 15]!;
  o[p + 1] = HEX[(v >>> 8) & 15]!;
  o[p + 2] = HEX[(v >>> 4) & 15]!;
  o[p + 3] = HEX[v & 15]!;
  return p + 4;
}

/**
 * A u64 given as two u32 halves, in decimal, exact, without a BigInt (the
 * same digits the formats write for timestamps and sequence numbers).
 */
export function u64ToDecimal(hi: number, lo: number): string {
  const o = new Uint8Array(20);
  return decoder.decode(o.subarray(0, putU64(o, 0, hi, lo)));
}

/** The text a line starts with for one source, before the timestamp. */
function sourcePrefix(format: SlotFormat, source: SlotSource): Uint8Array {
  switch (format) {
    case "dump-one":
      return new Uint8Array(0);
    case "dump-multi":
      return encoder.encode(`${source.device ?? "-"}: TS=`);
    case "look-tcp":
      return encoder.encode(`${source.device ?? "-"} TS=`);
    case "json":
      // Only the device path needs escaping.
      return encoder.encode(
        `{"device":${JSON.stringify(source.device ?? null)},"direction":${source.direction ? `"${source.direction}"` : "null"},"cpu":${source.cpu ?? "null"},${source.clock === undefined ? "" : `"clock":${JSON.stringify(source.clock)},`}"tstamp":"`,
      );
  }
}

/** Formats slots of one batch; keeps one PvalFields and one output buffer for all of them. */
export class SlotPrinter {
  readonly format: SlotFormat;
  readonly #fields = new PvalFields();
  /** The first bytes of a frame shorter than the reference forms read, zero after its end. */
  readonly #short = new Uint8Array(REFERENCE_READ);
  /** The frame #frame() chose, and where it starts. */
  #u8: Uint8Array = this.#short;
  #at = 0;
  #out: Uint8Array = new Uint8Array(1 << 16);
  #prefix: Uint8Array;
  #prefixDevice: string | undefined;
  #prefixDirection: string | undefined;
  #prefixCpu: number | undefined;
  #prefixClock: string | undefined;

  constructor(format: SlotFormat) {
    if (!SLOT_FORMATS.includes(format)) {
      throw new RangeError(`unknown slot format ${JSON.stringify(format)}; one of ${SLOT_FORMATS.join(", ")}`);
    }
    this.format = format;
    this.#prefix = sourcePrefix(format, {});
  }

  /**
   * The lines of the first `count` slots of the batch (all by default), each
   * ending with "\n", as UTF-8 bytes: a view of the printer's buffer, valid
   * until its next call.
   */
  bytes(batch: SlotBatch, source: SlotSource = {}, count: number = batch.count): Uint8Array {
    const n = Math.min(count, batch.count);
    const prefix = this.#prefixFor(source);
    const perLine = prefix.length + MAX_LINE;
    let o = this.#out;
    let p = 0;
    for (let i = 0; i < n; i++) {
      if (p + perLine > o.length) o = this.#grow(p, perLine);
      p = this.#slot(batch, i, o, put(o, p, prefix));
      o[p++] = NEWLINE;
    }
    return o.subarray(0, p);
  }

  /** Every slot of the batch, one line each, each ending with "\n". */
  lines(batch: SlotBatch, source: SlotSource = {}): string {
    return decoder.decode(this.bytes(batch, source));
  }

  /** The line for slot `i`, without the newline. */
  line(batch: SlotBatch, i: number, source: SlotSource = {}): string {
    if (i >>> 0 !== i || i >= batch.count) throw new RangeError(`slot index ${i} outside 0..${batch.count - 1}`);
    const prefix = this.#prefixFor(source);
    let o = this.#out;
    if (prefix.length + MAX_LINE > o.length) o = this.#grow(0, prefix.length + MAX_LINE);
    return decoder.decode(o.subarray(0, this.#slot(batch, i, o, put(o, 0, prefix))));
  }

  #prefixFor(source: SlotSource): Uint8Array {
    if (
      source.device !== this.#prefixDevice ||
      source.direction !== this.#prefixDirection ||
      source.cpu !== this.#prefixCpu ||
      source.clock !== this.#prefixClock
    ) {
      this.#prefix = sourcePrefix(this.format, source);
      this.#prefixDevice = source.device;
      this.#prefixDirection = source.direction;
      this.#prefixCpu = source.cpu;
      this.#prefixClock = source.clock;
    }
    return this.#prefix;
  }

  #grow(used: number, need: number): Uint8Array {
    const bigger = new Uint8Array(Math.max(this.#out.length * 2, used + need));
    bigger.set(this.#out.subarray(0, used));
    this.#out = bigger;
    return bigger;
  }

  // Slot `i` after its source prefix; returns the end of the line.
  #slot(batch: SlotBatch, i: number, o: Uint8Array, p: number): number {
    const f = this.#fields;
    readPvalFields(batch, i, f);
    p = putU64(o, p, f.tstampHi, f.tstampLo);
    if (this.format === "json") return this.#json(batch, i, o, p);
    o[p++] = 32;
    if (this.format !== "look-tcp") return this.#dump(batch, i, o, p, this.format === "dump-multi");
    return this.#lookTcp(batch, i, o, p);
  }

  /**
   * Points #u8 and #at at the frame as the reference forms read it: the
   * slot itself when it holds every byte they may read, otherwise its stored
   * bytes followed by zeros.
   */
  #frame(batch: SlotBatch, i: number): void {
    const at = batch.pktOffset(i);
    const len = Math.min(this.#fields.len, PVAL_SLOT_PKT_SIZE);
    if (len >= REFERENCE_READ) {
      this.#u8 = batch.bytes;
      this.#at = at;
      return;
    }
    const short = this.#short;
    short.fill(0);
    short.set(batch.bytes.subarray(at, at + len));
    this.#u8 = short;
    this.#at = 0;
  }

  // dump-one:   "<src> -> <dst> TypeXXXX[, <ip src> -> <ip dst>]"
  // dump-multi: "<src> -> <dst> Type 0xXXXX [<ip src> -> <ip dst>]"
  #dump(batch: SlotBatch, i: number, o: Uint8Array, p: number, multi: boolean): number {
    this.#frame(batch, i);
    const u8 = this.#u8;
    const at = this.#at;
    p = putMac(o, put(o, putMac(o, p, u8, at + 6), ARROW), u8, at);
    const ethertype = (u8[at + 12]! << 8) | u8[at + 13]!;
    p = putHex4(o, put(o, p, multi ? TYPE_0X : TYPE), ethertype);
    if (multi) o[p++] = 32;
    if (ethertype !== ETHERTYPE_IPV4) return p;
    if (!multi) p = put(o, p, COMMA_SPACE);
    p = putIpv4(o, p, be32(u8, at + ETHER_HEADER + 12));
    return putIpv4(o, put(o, p, ARROW), be32(u8, at + ETHER_HEADER + 16));
  }

  // "PKTLEN=<n> ETHER_TYPE=0x<4 hex> [IP_PROTO=<n> [SYN= ACK= PSH= RST= FIN=]]"
  #lookTcp(batch: SlotBatch, i: number, o: Uint8Array, p: number): number {
    this.#frame(batch, i);
    const u8 = this.#u8;
    const at = this.#at;
    p = putUint(o, put(o, p, PKTLEN_EQ), this.#fields.pktlen);
    const ethertype = (u8[at + 12]! << 8) | u8[at + 13]!;
    p = putHex4(o, put(o, p, ETHER_TYPE_EQ), ethertype);
    o[p++] = 32;
    if (ethertype !== ETHERTYPE_IPV4) return p;
    const ip = at + ETHER_HEADER;
    const protocol = u8[ip + 9]!;
    p = putUint(o, put(o, p, IP_PROTO_EQ), protocol);
    o[p++] = 32;
    if (protocol !== IpProtocol.TCP) return p;
    // Where the IHL points, whatever it says (as the original: no check).
    const flags = u8[ip + ((u8[ip]! & 0x0f) << 2) + TCP_FLAGS_AT]!;
    p = put(o, p, SYN_EQ);
    o[p++] = flags & TcpFlag.SYN ? 49 : ZERO;
    p = put(o, p, ACK_EQ);
    o[p++] = flags & TcpFlag.ACK ? 49 : ZERO;
    p = put(o, p, PSH_EQ);
    o[p++] = flags & TcpFlag.PSH ? 49 : ZERO;
    p = put(o, p, RST_EQ);
    o[p++] = flags & TcpFlag.RST ? 49 : ZERO;
    p = put(o, p, FIN_EQ);
    o[p++] = flags & TcpFlag.FIN ? 49 : ZERO;
    return p;
  }

  // The TCP flags byte, or -1 when the capture stops before it.
  #tcpFlags(batch: SlotBatch, i: number): number {
    const f = this.#fields;
    const p = batch.pktOffset(i);
    const ihl = (batch.bytes[p + f.l3Offset]! & 0x0f) << 2;
    const at = f.l3Offset + Math.max(ihl, IPV4_HEADER) + TCP_FLAGS_AT;
    return at < f.len ? batch.bytes[p + at]! : -1;
  }

  // `..."tstamp":"<ts>` is written; the rest of the object, raw values.
  #json(batch: SlotBatch, i: number, o: Uint8Array, p: number): number {
    const f = this.#fields;
    const status = f.status;
    p = putUint(o, put(o, p, J_LEN), f.len);
    p = putUint(o, put(o, p, J_PKTLEN), f.pktlen);
    if (status & FieldStatus.BAD_SLOT) return put(o, p, J_INVALID);
    if (f.len >= ETHER_HEADER) {
      const u8 = batch.bytes;
      const at = batch.pktOffset(i);
      p = putMac(o, put(o, p, J_SRC), u8, at + 6);
      p = putMac(o, put(o, p, J_DST), u8, at);
      p = putUint(o, put(o, p, J_ETHERTYPE), f.ethertype);
      if (f.vlanCount) p = putUint(o, put(o, p, J_VLANS), f.vlanCount);
    }
    if (status & FieldStatus.IPV4) {
      p = putIpv4(o, put(o, p, J_IP_SRC), f.src);
      p = putIpv4(o, put(o, p, J_IP_DST), f.dst);
      p = putUint(o, put(o, p, J_IP_PROTO), f.protocol);
      if (f.protocol === IpProtocol.TCP) {
        const flags = this.#tcpFlags(batch, i);
        if (flags >= 0) p = putUint(o, put(o, p, J_TCP_FLAGS), flags);
      }
    }
    if (status & FieldStatus.PVAL) {
      p = putUint(o, put(o, p, J_PVAL_CPU), f.cpu);
      p = put(o, putU64(o, put(o, p, J_SEQ), f.seqHi, f.seqLo), J_SEQ_END);
    }
    if (status & FieldStatus.TRUNCATED) p = put(o, p, J_TRUNCATED);
    if (status & FieldStatus.MALFORMED) p = put(o, p, J_MALFORMED);
    o[p] = 125; // "}"
    return p + 1;
  }
}
