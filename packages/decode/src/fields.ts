// The pval fast path: the few fields pval needs from every slot — ethertype
// (through VLAN tags), IPv4 source and destination, option 222's cpu and seq,
// and the slot's timestamp — read straight from the bytes into reusable
// columns (one Uint32Array per field), without a full decode and without
// allocating per slot. PvalFields is the one-slot form of the same columns.
//
// Byte order: slot fields are native (see slots.ts); the frame is network
// order; option 222's seq is little-endian (SPEC §2). 64-bit values are kept
// as two u32 halves; `tstamp` and `seq` turn them into BigInts on demand.
//
// Never throws on bad bytes: every read is bounds-checked against the stored
// length, and the outcome is reported as bits of `status`.

import { PvalConst, PvalIpoptAt, PvalSlotAt } from "./generated/abi.js";
import { NATIVE_LITTLE_ENDIAN, SLOT_SIZE, type SlotBatch } from "./slots.js";

const LE = NATIVE_LITTLE_ENDIAN;
/**
 * The common pval frame — untagged IPv4 whose only option is 222, so a 32-byte
 * header — is read a word at a time on little-endian machines, where option
 * 222's little-endian seq is native: frame bytes 12..13 (ethertype), 14
 * (version, IHL), 23 (protocol), 26..29 (src), 30..33 (dst), 34..45 (option
 * 222). Needs the packet area on a 4-byte boundary of the slot.
 */
const FAST_WORDS = LE && PvalSlotAt.pkt % 4 === 0 && PvalIpoptAt.cpu === 3 && PvalIpoptAt.seq === 4;

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

/** Options of {@link PvalFieldColumns}. */
export interface PvalFieldColumnsOptions {
  /**
   * Also fill `len`, `pktlen`, `vlanCount`, `l3Offset` and `protocol`
   * (default false: the pval fields alone, which is the fastest form).
   */
  detail?: boolean;
}

/**
 * The pval fields of up to `capacity` slots, one `Uint32Array` column per
 * field: row `k` of every column belongs to the same slot. Reuse one instance
 * across a whole loop; {@link readPvalFieldColumns} fills it.
 *
 * Fields a row's `status` bits do not vouch for hold 0. The detail columns
 * exist only when the instance was created with `{ detail: true }`.
 */
export class PvalFieldColumns {
  /** Rows each column holds. */
  readonly capacity: number;
  /** Rows filled by the last read. */
  count = 0;
  /** All columns, back to back: the nine pval fields, then the detail columns if any. */
  readonly buffer: ArrayBuffer;
  /** Bits of {@link FieldStatus}. */
  readonly status: Uint32Array;
  /** Timestamp (ns), low 32 bits. */
  readonly tstampLo: Uint32Array;
  /** Timestamp (ns), high 32 bits. */
  readonly tstampHi: Uint32Array;
  /** Innermost ethertype after any VLAN tags (0 when the Ethernet header is cut). */
  readonly ethertype: Uint32Array;
  /** IPv4 source address as an unsigned 32-bit integer. */
  readonly src: Uint32Array;
  /** IPv4 destination address as an unsigned 32-bit integer. */
  readonly dst: Uint32Array;
  /** Option 222: the CPU that sent the packet. */
  readonly cpu: Uint32Array;
  /** Option 222: the sequence number, low 32 bits. */
  readonly seqLo: Uint32Array;
  /** Option 222: the sequence number, high 32 bits. */
  readonly seqHi: Uint32Array;
  /** Detail: bytes stored in the slot. */
  readonly len: Uint32Array | undefined;
  /** Detail: length on the wire. */
  readonly pktlen: Uint32Array | undefined;
  /** Detail: VLAN tags (802.1Q / 802.1ad) skipped to reach the ethertype. */
  readonly vlanCount: Uint32Array | undefined;
  /** Detail: offset of the network header in the frame (0 when the Ethernet header is cut). */
  readonly l3Offset: Uint32Array | undefined;
  /** Detail: IPv4 protocol number. */
  readonly protocol: Uint32Array | undefined;

  constructor(capacity = 1024, options: PvalFieldColumnsOptions = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    const detail = options.detail === true;
    this.capacity = capacity;
    this.buffer = new ArrayBuffer((detail ? F_COUNT : F_PVAL_COUNT) * capacity * 4);
    const column = (f: number): Uint32Array => new Uint32Array(this.buffer, f * capacity * 4, capacity);
    this.status = column(F_STATUS);
    this.tstampLo = column(F_TS_LO);
    this.tstampHi = column(F_TS_HI);
    this.ethertype = column(F_ETHERTYPE);
    this.src = column(F_SRC);
    this.dst = column(F_DST);
    this.cpu = column(F_CPU);
    this.seqLo = column(F_SEQ_LO);
    this.seqHi = column(F_SEQ_HI);
    this.len = detail ? column(F_LEN) : undefined;
    this.pktlen = detail ? column(F_PKTLEN) : undefined;
    this.vlanCount = detail ? column(F_VLANS) : undefined;
    this.l3Offset = detail ? column(F_L3) : undefined;
    this.protocol = detail ? column(F_PROTOCOL) : undefined;
  }

  /** Row `k`'s timestamp in ns (allocates a BigInt). */
  tstamp(k: number): bigint {
    this.check(k);
    return (BigInt(this.tstampHi[k]!) << 32n) | BigInt(this.tstampLo[k]!);
  }

  /** Row `k`'s option 222 sequence number (allocates a BigInt). */
  seq(k: number): bigint {
    this.check(k);
    return (BigInt(this.seqHi[k]!) << 32n) | BigInt(this.seqLo[k]!);
  }

  private check(k: number): void {
    if (k >>> 0 !== k || k >= this.count) throw new RangeError(`row ${k} outside 0..${this.count - 1}`);
  }
}

// Column order in PvalFieldColumns.buffer; with capacity 1 and detail, the
// buffer is PvalFields.data, one u32 per field in this order.
const F_STATUS = 0;
const F_TS_LO = 1;
const F_TS_HI = 2;
const F_ETHERTYPE = 3;
const F_SRC = 4;
const F_DST = 5;
const F_CPU = 6;
const F_SEQ_LO = 7;
const F_SEQ_HI = 8;
const F_PVAL_COUNT = 9;
const F_LEN = 9;
const F_PKTLEN = 10;
const F_VLANS = 11;
const F_L3 = 12;
const F_PROTOCOL = 13;
const F_COUNT = 14;

/** The pval fields of one slot; reuse one instance across a whole loop. */
export class PvalFields {
  /** The one-row columns behind the getters. */
  readonly columns: PvalFieldColumns = new PvalFieldColumns(1, { detail: true });
  /** The values behind the getters, one u32 per field (for copying out in bulk). */
  readonly data: Uint32Array = new Uint32Array(this.columns.buffer);

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
  scan(batch.bytes, batch.words, batch.view, i * SLOT_SIZE, -1, 1, out.columns);
  return out.data[F_STATUS]!;
}

/**
 * Reads the pval fields of slots `start`, `start + 1`, … of `batch` into the
 * rows of `out`: as many as `out.capacity` and the batch allow. Returns that
 * number and stores it in `out.count`; row `k` holds slot `start + k`.
 */
export function readPvalFieldColumns(batch: SlotBatch, start: number, out: PvalFieldColumns): number {
  if (start >>> 0 !== start || start > batch.count) {
    throw new RangeError(`slot index ${start} outside 0..${batch.count}`);
  }
  const n = Math.min(out.capacity, batch.count - start);
  scan(batch.bytes, batch.words, batch.view, start * SLOT_SIZE, -1, n, out);
  out.count = n;
  return n;
}

/**
 * Reads the pval fields from a frame (starting at its Ethernet header) into
 * `out`, leaving the slot fields (`len`, `pktlen`, timestamp) alone.
 */
export function readPvalFieldsFromFrame(frame: Uint8Array, out: PvalFields): number {
  scan(frame, undefined, undefined, 0, frame.length, 1, out.columns);
  return out.data[F_STATUS]!;
}

// The one loop behind every entry point, kept in a single function so that
// V8 compiles it whole: reads `n` slots starting at byte `base` into rows
// 0..n-1 of `c` (through `words` when the batch is aligned, else `dv`), or,
// with frameLen >= 0, one bare frame of frameLen bytes at `base` (slot fields
// untouched). Each row's values are gathered in locals and stored once.
//
// Every number in the loop is a literal or a local: V8 folds literals into the
// machine code, while each module-level constant costs a load and a register
// (measured: a third of the loop). ABI numbers come in as const enums, which
// the bundler writes out as literals.
function scan(
  u8: Uint8Array,
  words: Uint32Array | undefined,
  dv: DataView | undefined,
  base0: number,
  frameLen: number,
  n: number,
  c: PvalFieldColumns,
): void {
  // FieldStatus bits.
  const IPV4 = 1;
  const PVAL = 2;
  const TRUNCATED = 4;
  const MALFORMED = 8;
  const BAD_SLOT = 16;
  // Ethernet and IPv4.
  const ETHER_HEADER_LEN = 14;
  const IPV4_HEADER_LEN = 20;
  const TYPE_IPV4 = 0x0800;
  const TYPE_VLAN = 0x8100;
  const TYPE_QINQ = 0x88a8;
  const TYPE_QINQ_OLD = 0x9100;
  const le = LE;
  // Slot layout, as literals (PvalSlotAt is a const enum): u32 word indices
  // within a slot, and the word holding frame bytes 12..15.
  const W_LEN = PvalSlotAt.len >>> 2;
  // len is a u16 in that word (gso_segs the other half): its shift in the native-order word.
  const LEN_SHIFT = le ? (PvalSlotAt.len & 3) * 8 : (2 - (PvalSlotAt.len & 3)) * 8;
  const W_PKTLEN = PvalSlotAt.pktlen >>> 2;
  const W_TS_LO = (PvalSlotAt.tstamp >>> 2) + (le ? 0 : 1);
  const W_TS_HI = (PvalSlotAt.tstamp >>> 2) + (le ? 1 : 0);
  const W_FRAME_12 = (PvalSlotAt.pkt + 12) >>> 2;
  // Option 222's type and length as the little-endian u16 of its first two bytes.
  const OPT_HEAD = PvalConst.PVAL_IPOPT_TYPE | (PvalConst.PVAL_IPOPT_LEN << 8);
  const cStatus = c.status;
  const cTsLo = c.tstampLo;
  const cTsHi = c.tstampHi;
  const cEthertype = c.ethertype;
  const cSrc = c.src;
  const cDst = c.dst;
  const cCpu = c.cpu;
  const cSeqLo = c.seqLo;
  const cSeqHi = c.seqHi;
  const detail = c.len !== undefined;
  const fast = FAST_WORDS && words !== undefined;

  for (let k = 0; k < n; k++) {
    const base = base0 + k * PvalSlotAt.sizeof;
    let status = 0;
    let type = 0;
    let vlans = 0;
    let off = 0;
    let protocol = 0;
    let src = 0;
    let dst = 0;
    let cpu = 0;
    let seqLo = 0;
    let seqHi = 0;
    let len = 0;
    let pktlen = 0;
    // biome-ignore lint/suspicious/noConfusingLabels: one exit from every step of the parse, inside the hot loop
    read: {
      let p: number;
      if (frameLen >= 0) {
        p = base;
        len = frameLen;
        if (len >= ETHER_HEADER_LEN) type = (u8[p + 12]! << 8) | u8[p + 13]!;
      } else {
        let tsLo: number;
        let tsHi: number;
        p = base + PvalSlotAt.pkt;
        if (words !== undefined) {
          // Aligned batch: a Uint32Array reads the native-order slot header,
          // and the word holding frame bytes 12..15 gives the ethertype.
          const w = base >>> 2;
          len = (words[w + W_LEN]! >>> LEN_SHIFT) & 0xffff;
          pktlen = words[w + W_PKTLEN]!;
          tsLo = words[w + W_TS_LO]!;
          tsHi = words[w + W_TS_HI]!;
          const w3 = words[w + W_FRAME_12]!;
          type = le ? ((w3 & 0xff) << 8) | ((w3 >>> 8) & 0xff) : w3 >>> 16;
          // The common frame (FAST_WORDS): version 4, IHL 8, option 222 first.
          if (fast && type === TYPE_IPV4 && ((w3 >>> 16) & 0xff) === 0x48 && len >= 46 && len <= pktlen) {
            const e = w + W_FRAME_12;
            const w8 = words[e + 5]!;
            if (w8 >>> 16 === OPT_HEAD && len <= PvalConst.PVAL_SLOT_PKT_SIZE) {
              const w6 = words[e + 3]!;
              const w7 = words[e + 4]!;
              const w9 = words[e + 6]!;
              const w10 = words[e + 7]!;
              const s = (w6 >>> 16) | (w7 << 16);
              const d = (w7 >>> 16) | (w8 << 16);
              src = (s << 24) | ((s & 0xff00) << 8) | ((s >>> 8) & 0xff00) | (s >>> 24);
              dst = (d << 24) | ((d & 0xff00) << 8) | ((d >>> 8) & 0xff00) | (d >>> 24);
              protocol = words[e + 2]! >>> 24;
              cpu = (w9 >>> 8) & 0xff;
              seqLo = (w9 >>> 16) | (w10 << 16);
              seqHi = (w10 >>> 16) | (words[e + 8]! << 16);
              off = ETHER_HEADER_LEN;
              status = IPV4 | PVAL;
              cTsLo[k] = tsLo;
              cTsHi[k] = tsHi;
              break read;
            }
          }
        } else {
          const d = dv!;
          len = d.getUint16(base + PvalSlotAt.len, le);
          pktlen = d.getUint32(base + PvalSlotAt.pktlen, le);
          tsLo = d.getUint32(base + PvalSlotAt.tstamp + (le ? 0 : 4), le);
          tsHi = d.getUint32(base + PvalSlotAt.tstamp + (le ? 4 : 0), le);
          type = d.getUint16(p + 12, false);
        }
        cTsLo[k] = tsLo;
        cTsHi[k] = tsHi;
        if (len > PvalConst.PVAL_SLOT_PKT_SIZE || len > pktlen) {
          status = BAD_SLOT;
          type = 0;
          break read;
        }
      }
      if (len < ETHER_HEADER_LEN) {
        status = TRUNCATED;
        type = 0;
        break read;
      }
      off = ETHER_HEADER_LEN;
      if (type !== TYPE_IPV4) {
        off = 12;
        while (type === TYPE_VLAN || type === TYPE_QINQ || type === TYPE_QINQ_OLD) {
          off += 4;
          vlans++;
          if (off + 2 > len) {
            status = TRUNCATED;
            type = off = 0;
            break read;
          }
          type = (u8[p + off]! << 8) | u8[p + off + 1]!;
        }
        off += 2;
        if (type !== TYPE_IPV4) break read;
      }
      if (off + IPV4_HEADER_LEN > len) {
        status = TRUNCATED;
        break read;
      }
      const ip = p + off;
      const vihl = u8[ip]!;
      const ihl = (vihl & 0x0f) << 2;
      if (vihl >> 4 !== 4 || ihl < IPV4_HEADER_LEN) {
        status = MALFORMED;
        break read;
      }
      protocol = u8[ip + 9]!;
      src = (u8[ip + 12]! << 24) | (u8[ip + 13]! << 16) | (u8[ip + 14]! << 8) | u8[ip + 15]!;
      dst = (u8[ip + 16]! << 24) | (u8[ip + 17]! << 16) | (u8[ip + 18]! << 8) | u8[ip + 19]!;
      status = IPV4;
      if (ihl === IPV4_HEADER_LEN) break read;
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
        if (l < 2 || q + l > hdrEnd) {
          status = IPV4 | MALFORMED;
          break read;
        }
        if (q + l > end) break;
        if (t === PvalConst.PVAL_IPOPT_TYPE) {
          if (l !== PvalConst.PVAL_IPOPT_LEN) {
            status = IPV4 | MALFORMED;
            break read;
          }
          // seq is little-endian on the wire, whatever this machine's order.
          const s = q + PvalIpoptAt.seq;
          cpu = u8[q + PvalIpoptAt.cpu]!;
          seqLo = u8[s]! | (u8[s + 1]! << 8) | (u8[s + 2]! << 16) | (u8[s + 3]! << 24);
          seqHi = u8[s + 4]! | (u8[s + 5]! << 8) | (u8[s + 6]! << 16) | (u8[s + 7]! << 24);
          status = IPV4 | PVAL;
          break read;
        }
        q += l;
      }
      if (end < hdrEnd) status = IPV4 | TRUNCATED;
    }
    cStatus[k] = status;
    cEthertype[k] = type;
    cSrc[k] = src;
    cDst[k] = dst;
    cCpu[k] = cpu;
    cSeqLo[k] = seqLo;
    cSeqHi[k] = seqHi;
    if (detail) {
      if (frameLen < 0) {
        c.len![k] = len;
        c.pktlen![k] = pktlen;
      }
      c.vlanCount![k] = vlans;
      c.l3Offset![k] = off;
      c.protocol![k] = protocol;
    }
  }
}
