// The pval fast path: the few fields pval needs from every slot — ethertype
// (through VLAN tags), IPv4 source and destination, option 222's cpu and seq,
// and the slot's timestamp — read straight from the bytes into a reusable
// object, without a full decode and without allocating per slot.
//
// Byte order: slot fields are native (see slots.ts); the frame is network
// order; option 222's seq is little-endian (SPEC §2). 64-bit values are kept
// as two u32 halves; `tstamp` and `seq` turn them into BigInts on demand.
//
// Never throws on bad bytes: every read is bounds-checked against the stored
// length, and the outcome is reported as bits of `status`.

import {
  PVAL_IPOPT_LEN,
  PVAL_IPOPT_TYPE,
  PVAL_SLOT_PKT_SIZE,
  PvalIpoptLayout,
  PvalSlotLayout,
} from "./generated/abi.js";
import { NATIVE_LITTLE_ENDIAN, SLOT_SIZE, type SlotBatch } from "./slots.js";

const OFF_LEN: number = PvalSlotLayout.fields.len.offset;
const OFF_PKTLEN: number = PvalSlotLayout.fields.pktlen.offset;
const OFF_TSTAMP: number = PvalSlotLayout.fields.tstamp.offset;
const OFF_PKT: number = PvalSlotLayout.fields.pkt.offset;
const OPT_CPU: number = PvalIpoptLayout.fields.cpu.offset;
const OPT_SEQ: number = PvalIpoptLayout.fields.seq.offset;
const LE = NATIVE_LITTLE_ENDIAN;
const TS_LO = LE ? 0 : 4;
const TS_HI = LE ? 4 : 0;
const W_LEN = OFF_LEN >>> 2;
const W_PKTLEN = OFF_PKTLEN >>> 2;
const W_TS_LO = (OFF_TSTAMP + TS_LO) >>> 2;
const W_TS_HI = (OFF_TSTAMP + TS_HI) >>> 2;
/** The u32 word of a slot that holds frame bytes 12..15 (the packet area is 4-byte aligned). */
const W_ETHERTYPE = (OFF_PKT + 12) >>> 2;

/** Bits of {@link PvalFields.status}. */
export const FieldStatus = {
  /** The frame carries IPv4 and its fixed header was read: `src`, `dst`, `protocol` are set. */
  IPV4: 1,
  /** Option 222 was found: `cpu`, `seqLo`, `seqHi` are set. */
  PVAL: 2,
  /** The stored bytes ended before the fields could all be read. */
  TRUNCATED: 4,
  /** The bytes are malformed (IPv4 version or header length, an option length). */
  MALFORMED: 8,
  /** The slot itself is invalid (`len` > 256 or `len` > `pktlen`); nothing else was read. */
  BAD_SLOT: 16,
} as const;

// Slots of PvalFields.data. A Uint32Array keeps every value an unboxed u32,
// which is what makes the loop fast.
const F_STATUS = 0;
const F_LEN = 1;
const F_PKTLEN = 2;
const F_TS_LO = 3;
const F_TS_HI = 4;
const F_ETHERTYPE = 5;
const F_VLANS = 6;
const F_L3 = 7;
const F_PROTOCOL = 8;
const F_SRC = 9;
const F_DST = 10;
const F_CPU = 11;
const F_SEQ_LO = 12;
const F_SEQ_HI = 13;
const F_COUNT = 14;

/** The pval fields of one slot; reuse one instance across a whole loop. */
export class PvalFields {
  /** The values behind the getters, as u32s (for copying out in bulk). */
  readonly data: Uint32Array = new Uint32Array(F_COUNT);

  /** Bits of {@link FieldStatus}. */
  get status(): number {
    return this.data[F_STATUS]!;
  }
  /** Bytes stored in the slot. */
  get len(): number {
    return this.data[F_LEN]!;
  }
  /** Length on the wire. */
  get pktlen(): number {
    return this.data[F_PKTLEN]!;
  }
  /** Timestamp (ns), low 32 bits. */
  get tstampLo(): number {
    return this.data[F_TS_LO]!;
  }
  /** Timestamp (ns), high 32 bits. */
  get tstampHi(): number {
    return this.data[F_TS_HI]!;
  }
  /** Innermost ethertype after any VLAN tags (0 when the Ethernet header is cut). */
  get ethertype(): number {
    return this.data[F_ETHERTYPE]!;
  }
  /** VLAN tags (802.1Q / 802.1ad) skipped to reach it. */
  get vlanCount(): number {
    return this.data[F_VLANS]!;
  }
  /** Offset of the network header in the frame (0 when the Ethernet header is cut). */
  get l3Offset(): number {
    return this.data[F_L3]!;
  }
  /** IPv4 protocol number. */
  get protocol(): number {
    return this.data[F_PROTOCOL]!;
  }
  /** IPv4 source address as an unsigned 32-bit integer. */
  get src(): number {
    return this.data[F_SRC]!;
  }
  /** IPv4 destination address as an unsigned 32-bit integer. */
  get dst(): number {
    return this.data[F_DST]!;
  }
  /** Option 222: the CPU that sent the packet. */
  get cpu(): number {
    return this.data[F_CPU]!;
  }
  /** Option 222: the sequence number, low 32 bits. */
  get seqLo(): number {
    return this.data[F_SEQ_LO]!;
  }
  /** Option 222: the sequence number, high 32 bits. */
  get seqHi(): number {
    return this.data[F_SEQ_HI]!;
  }
  /** The timestamp in ns (allocates a BigInt). */
  get tstamp(): bigint {
    return (BigInt(this.tstampHi) << 32n) | BigInt(this.tstampLo);
  }
  /** Option 222's sequence number (allocates a BigInt). */
  get seq(): bigint {
    return (BigInt(this.seqHi) << 32n) | BigInt(this.seqLo);
  }

  /** Sets every field back to 0. */
  clear(): void {
    this.data.fill(0);
  }
}

/**
 * Reads the pval fields of slot `i` into `out` and returns `out.status`.
 * Fields the status bits do not vouch for hold 0.
 */
export function readPvalFields(batch: SlotBatch, i: number, out: PvalFields): number {
  if (i >>> 0 !== i || i >= batch.count) throw new RangeError(`slot index ${i} outside 0..${batch.count - 1}`);
  return readFields(batch.bytes, batch.words, batch.view, i * SLOT_SIZE, -1, out.data);
}

/**
 * Reads the pval fields from a frame (starting at its Ethernet header) into
 * `out`, leaving the slot fields (`len`, `pktlen`, timestamp) alone.
 */
export function readPvalFieldsFromFrame(frame: Uint8Array, out: PvalFields): number {
  return readFields(frame, undefined, undefined, 0, frame.length, out.data);
}

// One function for both entry points, so the hot path is a single call.
// With frameLen < 0, reads the slot at `base` (through `words` when the batch
// is aligned, else `dv`); otherwise reads a bare frame of frameLen bytes at `base`.
//
// Protocol numbers and the indices of `o` are local literals on purpose: V8
// folds those into the machine code, while every module-level constant costs a
// load (measured: about a quarter of the loop). ABI offsets stay imported.
function readFields(
  u8: Uint8Array,
  words: Uint32Array | undefined,
  dv: DataView | undefined,
  base: number,
  frameLen: number,
  o: Uint32Array,
): number {
  // FieldStatus bits.
  const IPV4 = 1;
  const PVAL = 2;
  const TRUNCATED = 4;
  const MALFORMED = 8;
  const BAD_SLOT = 16;
  // Indices of PvalFields.data (F_* above).
  const STATUS = 0;
  const LEN = 1;
  const PKTLEN = 2;
  const TS_LO_ = 3;
  const TS_HI_ = 4;
  const ETHERTYPE = 5;
  const VLANS = 6;
  const L3 = 7;
  const PROTOCOL = 8;
  const SRC = 9;
  const DST = 10;
  const CPU = 11;
  const SEQ_LO = 12;
  const SEQ_HI = 13;
  // Ethernet and IPv4.
  const ETHER_HEADER_LEN = 14;
  const IPV4_HEADER_LEN = 20;
  const TYPE_IPV4 = 0x0800;
  const TYPE_VLAN = 0x8100;
  const TYPE_QINQ = 0x88a8;
  const TYPE_QINQ_OLD = 0x9100;

  let p: number;
  let len: number;
  let type: number;
  if (frameLen >= 0) {
    p = base;
    len = frameLen;
    type = len >= ETHER_HEADER_LEN ? (u8[p + 12]! << 8) | u8[p + 13]! : 0;
  } else {
    let pktlen: number;
    p = base + OFF_PKT;
    if (words !== undefined) {
      // Aligned batch: a Uint32Array reads the native-order slot header, and
      // the word holding frame bytes 12..15 gives the ethertype in one load.
      const w = base >>> 2;
      len = words[w + W_LEN]!;
      pktlen = words[w + W_PKTLEN]!;
      o[TS_LO_] = words[w + W_TS_LO]!;
      o[TS_HI_] = words[w + W_TS_HI]!;
      const w12 = words[w + W_ETHERTYPE]!;
      type = LE ? ((w12 & 0xff) << 8) | ((w12 >>> 8) & 0xff) : w12 >>> 16;
    } else {
      len = dv!.getUint32(base + OFF_LEN, LE);
      pktlen = dv!.getUint32(base + OFF_PKTLEN, LE);
      o[TS_LO_] = dv!.getUint32(base + OFF_TSTAMP + TS_LO, LE);
      o[TS_HI_] = dv!.getUint32(base + OFF_TSTAMP + TS_HI, LE);
      type = dv!.getUint16(p + 12, false);
    }
    o[LEN] = len;
    o[PKTLEN] = pktlen;
    if (len > PVAL_SLOT_PKT_SIZE || len > pktlen) return finish(o, BAD_SLOT, 0, 0, 0);
  }
  if (len < ETHER_HEADER_LEN) return finish(o, TRUNCATED, 0, 0, 0);
  let off = ETHER_HEADER_LEN;
  let vlans = 0;
  if (type !== TYPE_IPV4) {
    off = 12;
    while (type === TYPE_VLAN || type === TYPE_QINQ || type === TYPE_QINQ_OLD) {
      off += 4;
      vlans++;
      if (off + 2 > len) return finish(o, TRUNCATED, 0, vlans, 0);
      type = (u8[p + off]! << 8) | u8[p + off + 1]!;
    }
    off += 2;
    if (type !== TYPE_IPV4) return finish(o, 0, type, vlans, off);
  }
  if (off + IPV4_HEADER_LEN > len) return finish(o, TRUNCATED, type, vlans, off);
  const ip = p + off;
  const vihl = u8[ip]!;
  const ihl = (vihl & 0x0f) << 2;
  if (vihl >> 4 !== 4 || ihl < IPV4_HEADER_LEN) return finish(o, MALFORMED, type, vlans, off);
  o[ETHERTYPE] = type;
  o[VLANS] = vlans;
  o[L3] = off;
  o[PROTOCOL] = u8[ip + 9]!;
  o[SRC] = (u8[ip + 12]! << 24) | (u8[ip + 13]! << 16) | (u8[ip + 14]! << 8) | u8[ip + 15]!;
  o[DST] = (u8[ip + 16]! << 24) | (u8[ip + 17]! << 16) | (u8[ip + 18]! << 8) | u8[ip + 19]!;
  o[CPU] = o[SEQ_LO] = o[SEQ_HI] = 0;
  if (ihl === IPV4_HEADER_LEN) return (o[STATUS] = IPV4);
  // Options: walk them up to the end of the header or of the capture.
  const hdrEnd = ip + ihl;
  const end = off + ihl <= len ? hdrEnd : p + len;
  let q = ip + IPV4_HEADER_LEN;
  while (q < end) {
    const t = u8[q]!;
    if (t === 0) break; // EOL
    if (t === 1) {
      q++; // NOP
      continue;
    }
    if (q + 1 >= end) break;
    const l = u8[q + 1]!;
    if (l < 2 || q + l > hdrEnd) return (o[STATUS] = IPV4 | MALFORMED);
    if (q + l > end) break;
    if (t === PVAL_IPOPT_TYPE) {
      if (l !== PVAL_IPOPT_LEN) return (o[STATUS] = IPV4 | MALFORMED);
      // seq is little-endian on the wire, whatever this machine's order.
      const s = q + OPT_SEQ;
      o[CPU] = u8[q + OPT_CPU]!;
      o[SEQ_LO] = u8[s]! | (u8[s + 1]! << 8) | (u8[s + 2]! << 16) | (u8[s + 3]! << 24);
      o[SEQ_HI] = u8[s + 4]! | (u8[s + 5]! << 8) | (u8[s + 6]! << 16) | (u8[s + 7]! << 24);
      return (o[STATUS] = IPV4 | PVAL);
    }
    q += l;
  }
  return (o[STATUS] = end < hdrEnd ? IPV4 | TRUNCATED : IPV4);
}

// Ends a read that found no IPv4 addresses: zeroes what was not set.
function finish(o: Uint32Array, status: number, ethertype: number, vlans: number, l3: number): number {
  o[5] = ethertype; // F_ETHERTYPE
  o[6] = vlans; // F_VLANS
  o[7] = l3; // F_L3
  o[8] = o[9] = o[10] = o[11] = o[12] = o[13] = 0; // F_PROTOCOL .. F_SEQ_HI
  return (o[0] = status); // F_STATUS
}
