// Batches of pval slots, as the character devices hand them out.
//
// Byte order: slots are in the machine's native order (the kernel copies
// `struct pval_slot` as it is); the packet inside `pkt` is in network order and
// is left to frame.ts. Every offset and size comes from the ABI header through
// ./generated/abi.js.
//
// A SlotBatch is a view, never a copy: it wraps (buffer, byteOffset,
// byteLength) of whatever it is given, so a Node Buffer cut from the shared
// pool works too. 64-bit timestamps come as two u32 halves (no allocation) or,
// on demand, as a BigInt.

import { DecodeError, NeedMoreBytesError } from "./errors.js";
import { PVAL_SLOT_PKT_SIZE, PvalSlotLayout } from "./generated/abi.js";

/** Bytes of one `struct pval_slot`. */
export const SLOT_SIZE: number = PvalSlotLayout.size;

const OFF_LEN: number = PvalSlotLayout.fields.len.offset;
const OFF_GSO_SEGS: number = PvalSlotLayout.fields.gso_segs.offset;
const OFF_PKTLEN: number = PvalSlotLayout.fields.pktlen.offset;
const OFF_TSTAMP: number = PvalSlotLayout.fields.tstamp.offset;
const OFF_PKT: number = PvalSlotLayout.fields.pkt.offset;

// The header words sit on 4-byte boundaries of a slot whose size is a multiple of 4
// (len and gso_segs share the first word).
const WORD_ALIGNED_FIELDS =
  SLOT_SIZE % 4 === 0 && OFF_LEN % 4 === 0 && OFF_PKTLEN % 4 === 0 && OFF_TSTAMP % 4 === 0 && OFF_PKT % 4 === 0;

/** True when this machine stores integers little-endian (the slot's byte order). */
export const NATIVE_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const LE = NATIVE_LITTLE_ENDIAN;
const TS_LO = LE ? 0 : 4;
const TS_HI = LE ? 4 : 0;

/** Result of {@link SlotBatch.check}: 0 when the slot is valid. */
export const SlotStatus = {
  OK: 0,
  /** `len` is larger than the slot's packet area. */
  LEN_TOO_LARGE: 1,
  /** `len` is larger than the packet's length on the wire. */
  LEN_EXCEEDS_PKTLEN: 2,
} as const;
export type SlotStatus = (typeof SlotStatus)[keyof typeof SlotStatus];

/** What a slot holds, for {@link SlotBatch.write}. */
export interface SlotInit {
  /** The frame, from the Ethernet header; at most the first 256 bytes are stored. */
  frame: Uint8Array;
  /** Length on the wire; defaults to `frame.length`. */
  pktlen?: number;
  /** Hardware timestamp in ns; defaults to 0. */
  tstamp?: bigint;
  /** Wire packets a merged (GRO) or unsegmented (GSO) packet stands for; defaults to 0 (an ordinary packet). */
  gsoSegs?: number;
}

/** A view over N consecutive slots. */
export class SlotBatch {
  /** All bytes of the batch (the view's own window of the underlying buffer). */
  readonly bytes: Uint8Array;
  /** A DataView over the same window, for hot loops. */
  readonly view: DataView;
  /** Number of slots in the batch. */
  readonly count: number;
  /**
   * The same bytes as native-order u32 words, when the batch starts on a
   * 4-byte boundary (slot fields are 4-byte aligned within a slot); else undefined.
   */
  readonly words: Uint32Array | undefined;

  /**
   * Wraps `source` without copying. `count` defaults to all whole slots in
   * `source`; a trailing partial slot, or a `count` the bytes cannot hold,
   * throws a {@link NeedMoreBytesError}.
   */
  constructor(source: ArrayBufferLike | ArrayBufferView, count?: number) {
    const bytes = ArrayBuffer.isView(source)
      ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
      : new Uint8Array(source);
    const whole = Math.floor(bytes.byteLength / SLOT_SIZE);
    if (count === undefined) {
      if (bytes.byteLength % SLOT_SIZE !== 0) {
        throw new NeedMoreBytesError("slot", whole * SLOT_SIZE, SLOT_SIZE, bytes.byteLength % SLOT_SIZE);
      }
      count = whole;
    } else if (!Number.isInteger(count) || count < 0) {
      throw new TypeError(`slot count must be a non-negative integer, got ${count}`);
    } else if (count > whole) {
      throw new NeedMoreBytesError("slot", 0, count * SLOT_SIZE, bytes.byteLength);
    }
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.count = count;
    this.words =
      WORD_ALIGNED_FIELDS && bytes.byteOffset % 4 === 0
        ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2)
        : undefined;
  }

  /** A zero-filled batch of `count` slots. */
  static allocate(count: number): SlotBatch {
    return new SlotBatch(new ArrayBuffer(count * SLOT_SIZE), count);
  }

  /** Byte offset of slot `i` in {@link bytes}. */
  offsetOf(i: number): number {
    if (i >>> 0 !== i || i >= this.count) throw new RangeError(`slot index ${i} outside 0..${this.count - 1}`);
    return i * SLOT_SIZE;
  }

  /** Byte offset of slot `i`'s packet in {@link bytes}. */
  pktOffset(i: number): number {
    return this.offsetOf(i) + OFF_PKT;
  }

  /** Bytes of the packet stored in the slot (not validated, see {@link check}). */
  len(i: number): number {
    return this.view.getUint16(this.offsetOf(i) + OFF_LEN, LE);
  }

  /**
   * Wire packets the slot's packet stands for when the lower device merged
   * them (GRO) or received them unsegmented (GSO): its `pktlen` is then the
   * merged length. 0 for an ordinary packet.
   */
  gsoSegs(i: number): number {
    return this.view.getUint16(this.offsetOf(i) + OFF_GSO_SEGS, LE);
  }

  /** Length of the packet on the wire. */
  pktlen(i: number): number {
    return this.view.getUint32(this.offsetOf(i) + OFF_PKTLEN, LE);
  }

  /** Low 32 bits of the timestamp (ns). */
  tstampLo(i: number): number {
    return this.view.getUint32(this.offsetOf(i) + OFF_TSTAMP + TS_LO, LE);
  }

  /** High 32 bits of the timestamp (ns). */
  tstampHi(i: number): number {
    return this.view.getUint32(this.offsetOf(i) + OFF_TSTAMP + TS_HI, LE);
  }

  /** The timestamp in ns, exact (allocates a BigInt). */
  tstamp(i: number): bigint {
    return this.view.getBigUint64(this.offsetOf(i) + OFF_TSTAMP, LE);
  }

  /** {@link SlotStatus.OK}, or why the slot is invalid; never throws for a valid index. */
  check(i: number): SlotStatus {
    const base = this.offsetOf(i);
    const len = this.view.getUint16(base + OFF_LEN, LE);
    if (len > PVAL_SLOT_PKT_SIZE) return SlotStatus.LEN_TOO_LARGE;
    if (len > this.view.getUint32(base + OFF_PKTLEN, LE)) return SlotStatus.LEN_EXCEEDS_PKTLEN;
    return SlotStatus.OK;
  }

  /** Throws a {@link DecodeError} naming the problem when slot `i` is invalid. */
  validate(i: number): void {
    const status = this.check(i);
    if (status === SlotStatus.OK) return;
    const offset = this.offsetOf(i);
    if (status === SlotStatus.LEN_TOO_LARGE) {
      throw new DecodeError(
        "SLOT_LEN_TOO_LARGE",
        "slot",
        offset,
        `slot ${i}: len ${this.len(i)} exceeds the ${PVAL_SLOT_PKT_SIZE}-byte packet area`,
      );
    }
    throw new DecodeError(
      "SLOT_LEN_EXCEEDS_PKTLEN",
      "slot",
      offset,
      `slot ${i}: len ${this.len(i)} exceeds pktlen ${this.pktlen(i)}`,
    );
  }

  /** The stored packet as a view (no copy); validates the slot first. */
  pkt(i: number): Uint8Array {
    this.validate(i);
    const start = this.offsetOf(i) + OFF_PKT;
    return this.bytes.subarray(start, start + this.len(i));
  }

  /** Fills slot `i`: stores up to 256 bytes of `init.frame` and sets len, gso_segs, pktlen and tstamp. */
  write(i: number, init: SlotInit): void {
    const base = this.offsetOf(i);
    const len = Math.min(init.frame.length, PVAL_SLOT_PKT_SIZE);
    const pktlen = init.pktlen ?? init.frame.length;
    if (!Number.isInteger(pktlen) || pktlen < len || pktlen > 0xffffffff) {
      throw new RangeError(`pktlen ${pktlen} must be an integer in ${len}..4294967295`);
    }
    const gsoSegs = init.gsoSegs ?? 0;
    if (!Number.isInteger(gsoSegs) || gsoSegs < 0 || gsoSegs > 0xffff) {
      throw new RangeError(`gsoSegs ${gsoSegs} must be an integer in 0..65535`);
    }
    this.view.setUint16(base + OFF_LEN, len, LE);
    this.view.setUint16(base + OFF_GSO_SEGS, gsoSegs, LE);
    this.view.setUint32(base + OFF_PKTLEN, pktlen, LE);
    this.view.setBigUint64(base + OFF_TSTAMP, BigInt.asUintN(64, init.tstamp ?? 0n), LE);
    this.bytes.set(init.frame.subarray(0, len), base + OFF_PKT);
    this.bytes.fill(0, base + OFF_PKT + len, base + SLOT_SIZE);
  }
}
