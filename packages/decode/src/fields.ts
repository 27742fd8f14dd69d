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

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHER_HEADER = 14;
const IPV4_HEADER = 20;

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

/** The pval fields of one slot; reuse one instance across a whole loop. */
export class PvalFields {
  /** Bits of {@link FieldStatus}. */
  status = 0;
  /** Bytes stored in the slot. */
  len = 0;
  /** Length on the wire. */
  pktlen = 0;
  /** Timestamp (ns), low and high 32 bits. */
  tstampLo = 0;
  tstampHi = 0;
  /** Innermost ethertype after any VLAN tags (0 when the Ethernet header is cut). */
  ethertype = 0;
  /** VLAN tags (802.1Q / 802.1ad) skipped to reach it. */
  vlanCount = 0;
  /** Offset of the network header in the frame. */
  l3Offset = 0;
  /** IPv4 protocol number. */
  protocol = 0;
  /** IPv4 source and destination as unsigned 32-bit integers (network order value). */
  src = 0;
  dst = 0;
  /** Option 222: the sending CPU and the 64-bit sequence number as two halves. */
  cpu = 0;
  seqLo = 0;
  seqHi = 0;

  /** The timestamp in ns (allocates a BigInt). */
  get tstamp(): bigint {
    return (BigInt(this.tstampHi) << 32n) | BigInt(this.tstampLo);
  }

  /** Option 222's sequence number (allocates a BigInt). */
  get seq(): bigint {
    return (BigInt(this.seqHi) << 32n) | BigInt(this.seqLo);
  }

  /** Sets every field back to its initial value. */
  clear(): void {
    this.status = this.len = this.pktlen = this.tstampLo = this.tstampHi = 0;
    this.ethertype = this.vlanCount = this.l3Offset = this.protocol = 0;
    this.src = this.dst = this.cpu = this.seqLo = this.seqHi = 0;
  }
}

/**
 * Reads the pval fields of slot `i` into `out` and returns `out.status`.
 * Fields the status bits do not vouch for hold 0.
 */
export function readPvalFields(batch: SlotBatch, i: number, out: PvalFields): number {
  if (i >>> 0 !== i || i >= batch.count) throw new RangeError(`slot index ${i} outside 0..${batch.count - 1}`);
  const dv = batch.view;
  const base = i * SLOT_SIZE;
  const len = dv.getUint32(base + OFF_LEN, LE);
  const pktlen = dv.getUint32(base + OFF_PKTLEN, LE);
  out.len = len;
  out.pktlen = pktlen;
  out.tstampLo = dv.getUint32(base + OFF_TSTAMP + TS_LO, LE);
  out.tstampHi = dv.getUint32(base + OFF_TSTAMP + TS_HI, LE);
  if (len > PVAL_SLOT_PKT_SIZE || len > pktlen) {
    clearFrameFields(out);
    return (out.status = FieldStatus.BAD_SLOT);
  }
  return readFrameFields(batch.bytes, dv, base + OFF_PKT, len, out);
}

/**
 * Reads the pval fields from a frame (starting at its Ethernet header) into
 * `out`, leaving the slot fields (`len`, `pktlen`, timestamp) alone.
 */
export function readPvalFieldsFromFrame(frame: Uint8Array, out: PvalFields): number {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return readFrameFields(frame, dv, 0, frame.length, out);
}

function clearFrameFields(out: PvalFields): void {
  out.ethertype = out.vlanCount = out.l3Offset = out.protocol = 0;
  out.src = out.dst = out.cpu = out.seqLo = out.seqHi = 0;
}

// `p` is where the frame starts in `u8`/`dv`, `len` how many bytes it has.
function readFrameFields(u8: Uint8Array, dv: DataView, p: number, len: number, out: PvalFields): number {
  clearFrameFields(out);
  if (len < ETHER_HEADER) return (out.status = FieldStatus.TRUNCATED);
  let off = 12;
  let type = (u8[p + off]! << 8) | u8[p + off + 1]!;
  let vlans = 0;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    off += 4;
    vlans++;
    if (off + 2 > len) {
      out.vlanCount = vlans;
      return (out.status = FieldStatus.TRUNCATED);
    }
    type = (u8[p + off]! << 8) | u8[p + off + 1]!;
  }
  off += 2;
  out.ethertype = type;
  out.vlanCount = vlans;
  out.l3Offset = off;
  if (type !== ETHERTYPE_IPV4) return (out.status = 0);
  if (off + IPV4_HEADER > len) return (out.status = FieldStatus.TRUNCATED);
  const ip = p + off;
  const vihl = u8[ip]!;
  const ihl = (vihl & 0x0f) << 2;
  if (vihl >> 4 !== 4 || ihl < IPV4_HEADER) return (out.status = FieldStatus.MALFORMED);
  out.protocol = u8[ip + 9]!;
  out.src = dv.getUint32(ip + 12, false);
  out.dst = dv.getUint32(ip + 16, false);
  if (ihl === IPV4_HEADER) return (out.status = FieldStatus.IPV4);
  // Options: walk them up to the end of the header or of the capture.
  const hdrEnd = ip + ihl;
  const end = off + ihl <= len ? hdrEnd : p + len;
  let q = ip + IPV4_HEADER;
  while (q < end) {
    const t = u8[q]!;
    if (t === 0) break;
    if (t === 1) {
      q++;
      continue;
    }
    if (q + 1 >= end) break;
    const l = u8[q + 1]!;
    if (l < 2 || q + l > hdrEnd) return (out.status = FieldStatus.IPV4 | FieldStatus.MALFORMED);
    if (q + l > end) break;
    if (t === PVAL_IPOPT_TYPE) {
      if (l !== PVAL_IPOPT_LEN) return (out.status = FieldStatus.IPV4 | FieldStatus.MALFORMED);
      out.cpu = u8[q + OPT_CPU]!;
      out.seqLo = dv.getUint32(q + OPT_SEQ, true);
      out.seqHi = dv.getUint32(q + OPT_SEQ + 4, true);
      return (out.status = FieldStatus.IPV4 | FieldStatus.PVAL);
    }
    q += l;
  }
  return (out.status = end < hdrEnd ? FieldStatus.IPV4 | FieldStatus.TRUNCATED : FieldStatus.IPV4);
}
