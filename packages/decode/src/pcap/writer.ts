// Writers for pcap and pcapng. Byte order: little-endian (the files say so in
// their magic numbers, so readers on any machine understand them).
//
// Both writers return Uint8Arrays for the caller to write in order: a header
// first, then one record per packet. Nothing is buffered inside, except in
// PcapngWriter, which gathers blocks into one buffer for a single write(2).
//
// pcapng: every interface has nanosecond timestamps (if_tsresol 9) and the
// snapshot length its caller declares; a packet with a direction carries the
// epb_flags option (code 2; bits 0-1: 1 inbound, 2 outbound), as libpcap
// writes it and Wireshark and tcpdump read it.

import { LINKTYPE_ETHERNET, MAX_CAPLEN, type TimestampPrecision } from "./reader.js";
import { joinNanoseconds } from "./timestamp.js";

/** A packet to write. */
export interface PacketToWrite {
  tsSec: number;
  /** Fraction of the second in nanoseconds. */
  tsNsec: number;
  /** Captured bytes. */
  data: Uint8Array;
  /** Length on the wire; defaults to `data.length`. */
  origlen?: number;
  /** pcapng: the interface (index of its block in the section); 0 by default. */
  interfaceId?: number;
  /** pcapng: received ("in") or sent ("out"); written as epb_flags when given. */
  direction?: PacketDirection | undefined;
}

/** Which way a packet went, as pcapng's epb_flags says it. */
export type PacketDirection = "in" | "out";

export interface PcapHeaderOptions {
  precision?: TimestampPrecision;
  snaplen?: number;
  linktype?: number;
}

function checkPacket(p: PacketToWrite): number {
  const origlen = p.origlen ?? p.data.length;
  if (p.data.length > MAX_CAPLEN) {
    throw new RangeError(`packet of ${p.data.length} bytes is larger than the maximum caplen ${MAX_CAPLEN}`);
  }
  if (!Number.isInteger(p.tsNsec) || p.tsNsec < 0 || p.tsNsec >= 1_000_000_000) {
    throw new RangeError(`timestamp fraction ${p.tsNsec} ns is not in 0..999999999`);
  }
  return origlen;
}

/** The 24-byte pcap file header. */
export function pcapFileHeader(options: PcapHeaderOptions = {}): Uint8Array {
  const out = new Uint8Array(24);
  const v = new DataView(out.buffer);
  v.setUint32(0, options.precision === "nano" ? 0xa1b23c4d : 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, options.snaplen ?? MAX_CAPLEN, true);
  v.setUint32(20, options.linktype ?? LINKTYPE_ETHERNET, true);
  return out;
}

/** One pcap record (16-byte header plus data), timestamps in the given precision. */
export function pcapRecord(packet: PacketToWrite, precision: TimestampPrecision = "micro"): Uint8Array {
  const origlen = checkPacket(packet);
  const out = new Uint8Array(16 + packet.data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, packet.tsSec, true);
  v.setUint32(4, precision === "nano" ? packet.tsNsec : Math.floor(packet.tsNsec / 1000), true);
  v.setUint32(8, packet.data.length, true);
  v.setUint32(12, origlen, true);
  out.set(packet.data, 16);
  return out;
}

/** One pcapng interface description block. */
export interface PcapngInterfaceOptions {
  /** LINKTYPE_*; Ethernet by default. */
  linktype?: number;
  /** The most bytes any packet of the interface holds (MAX_CAPLEN by default). */
  snaplen?: number;
  /** if_name. */
  name?: string;
  /** if_description. */
  description?: string;
  /** opt_comment, one option each. */
  comments?: readonly string[];
}

export interface PcapngHeaderOptions extends PcapngInterfaceOptions {
  /** Written as the section's shb_userappl option. */
  application?: string;
}

const textEncoder = new TextEncoder();

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 1;
const BLOCK_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_COMMENT = 1;
const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_DESCRIPTION = 3;
const OPT_IF_TSRESOL = 9;
const OPT_EPB_FLAGS = 2;
/** epb_flags bits 0-1: the packet's direction. */
export const EPB_FLAG_INBOUND = 1;
export const EPB_FLAG_OUTBOUND = 2;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Options as (code, value) pairs, each value padded to 4 bytes, then opt_endofopt. */
function optionBytes(options: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  if (options.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(options.reduce((n, [, b]) => n + 4 + pad4(b.length), 4));
  const v = new DataView(out.buffer);
  let at = 0;
  for (const [code, bytes] of options) {
    if (bytes.length > 0xffff) throw new RangeError(`pcapng option ${code}: ${bytes.length} bytes is more than 65535`);
    v.setUint16(at, code, true);
    v.setUint16(at + 2, bytes.length, true);
    out.set(bytes, at + 4);
    at += 4 + pad4(bytes.length);
  }
  return out; // the last 4 bytes stay zero: opt_endofopt
}

/** A block of `type`: the fixed body, the options, both lengths. */
function block(type: number, body: Uint8Array, options: Uint8Array): Uint8Array {
  const total = 12 + body.length + options.length;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  out.set(body, 8);
  out.set(options, 8 + body.length);
  v.setUint32(total - 4, total, true);
  return out;
}

/** A section header block, version 1.0, section length unknown (written as a stream). */
export function pcapngSectionHeader(options: { application?: string } = {}): Uint8Array {
  const body = new Uint8Array(16);
  const v = new DataView(body.buffer);
  v.setUint32(0, BYTE_ORDER_MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint16(6, 0, true);
  v.setInt32(8, -1, true);
  v.setInt32(12, -1, true);
  return block(BLOCK_SHB, body, optionBytes([[OPT_SHB_USERAPPL, textEncoder.encode(options.application ?? "pval")]]));
}

/** An interface description block with nanosecond timestamps (if_tsresol 9). */
export function pcapngInterfaceBlock(options: PcapngInterfaceOptions = {}): Uint8Array {
  const snaplen = options.snaplen ?? MAX_CAPLEN;
  if (!Number.isInteger(snaplen) || snaplen < 0 || snaplen > 0xffffffff) {
    throw new RangeError(`snaplen ${snaplen} is not a u32`);
  }
  const body = new Uint8Array(8);
  const v = new DataView(body.buffer);
  v.setUint16(0, options.linktype ?? LINKTYPE_ETHERNET, true);
  v.setUint32(4, snaplen, true);
  const opts: [number, Uint8Array][] = [];
  if (options.name !== undefined) opts.push([OPT_IF_NAME, textEncoder.encode(options.name)]);
  if (options.description !== undefined) opts.push([OPT_IF_DESCRIPTION, textEncoder.encode(options.description)]);
  for (const c of options.comments ?? []) opts.push([OPT_COMMENT, textEncoder.encode(c)]);
  opts.push([OPT_IF_TSRESOL, Uint8Array.of(9)]);
  return block(BLOCK_IDB, body, optionBytes(opts));
}

/**
 * A section header block and one interface description block (see
 * {@link pcapngInterfaceBlock}); packets go to interface 0.
 */
export function pcapngFileHeader(options: PcapngHeaderOptions = {}): Uint8Array {
  const shb = pcapngSectionHeader(options);
  const idb = pcapngInterfaceBlock(options);
  const out = new Uint8Array(shb.length + idb.length);
  out.set(shb);
  out.set(idb, shb.length);
  return out;
}

/** The size of a packet's enhanced packet block. */
export function pcapngRecordLength(packet: PacketToWrite): number {
  return 32 + pad4(packet.data.length) + (packet.direction === undefined ? 0 : 12);
}

/**
 * Writes the enhanced packet block of `packet` into `out` at `at` (room for
 * {@link pcapngRecordLength} bytes); returns the offset after it.
 */
export function writePcapngRecord(out: Uint8Array, at: number, packet: PacketToWrite): number {
  const origlen = checkPacket(packet);
  const caplen = packet.data.length;
  const total = pcapngRecordLength(packet);
  if (at + total > out.length) throw new RangeError(`pcapng record of ${total} bytes does not fit at ${at}`);
  const v = new DataView(out.buffer, out.byteOffset + at, total);
  const [hi, lo] = joinNanoseconds(packet.tsSec, packet.tsNsec);
  v.setUint32(0, BLOCK_EPB, true);
  v.setUint32(4, total, true);
  v.setUint32(8, packet.interfaceId ?? 0, true);
  v.setUint32(12, hi, true);
  v.setUint32(16, lo, true);
  v.setUint32(20, caplen, true);
  v.setUint32(24, origlen, true);
  out.set(packet.data, at + 28);
  let o = 28 + pad4(caplen);
  // Padding and opt_endofopt must be zero, whatever the buffer held.
  out.fill(0, at + 28 + caplen, at + o);
  if (packet.direction !== undefined) {
    v.setUint16(o, OPT_EPB_FLAGS, true);
    v.setUint16(o + 2, 4, true);
    v.setUint32(o + 4, packet.direction === "in" ? EPB_FLAG_INBOUND : EPB_FLAG_OUTBOUND, true);
    v.setUint32(o + 8, 0, true);
    o += 12;
  }
  v.setUint32(o, total, true);
  return at + total;
}

/** One enhanced packet block, nanosecond timestamp. */
export function pcapngRecord(packet: PacketToWrite): Uint8Array {
  const out = new Uint8Array(pcapngRecordLength(packet));
  writePcapngRecord(out, 0, packet);
  return out;
}

/**
 * A pcapng stream being built: one section, interfaces added as they come,
 * packets appended into one growing buffer. {@link take} hands over what
 * was added since the last take, to be written in order.
 */
export class PcapngWriter {
  #buf = new Uint8Array(1 << 16);
  #used = 0;
  #interfaces = 0;

  constructor(options: { application?: string } = {}) {
    this.#append(pcapngSectionHeader(options));
  }

  /** Adds an interface; returns its id for {@link PacketToWrite.interfaceId}. */
  addInterface(options: PcapngInterfaceOptions = {}): number {
    this.#append(pcapngInterfaceBlock(options));
    return this.#interfaces++;
  }

  /** The number of interfaces added. */
  get interfaces(): number {
    return this.#interfaces;
  }

  /** Appends a block built elsewhere (statistics, for instance). */
  block(bytes: Uint8Array): void {
    this.#append(bytes);
  }

  /** Appends one packet. */
  packet(packet: PacketToWrite): void {
    const id = packet.interfaceId ?? 0;
    if (id >= this.#interfaces) {
      throw new RangeError(`packet names interface ${id}, but only ${this.#interfaces} are defined`);
    }
    const n = pcapngRecordLength(packet);
    this.#room(n);
    this.#used = writePcapngRecord(this.#buf, this.#used, packet);
  }

  /** Bytes waiting to be taken. */
  get pending(): number {
    return this.#used;
  }

  /** The blocks added since the last take: a view valid until the next call. */
  take(): Uint8Array {
    const out = this.#buf.subarray(0, this.#used);
    this.#used = 0;
    return out;
  }

  #append(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#used);
    this.#used += bytes.length;
  }

  #room(n: number): void {
    if (this.#used + n <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#used + n));
    bigger.set(this.#buf.subarray(0, this.#used));
    this.#buf = bigger;
  }
}
