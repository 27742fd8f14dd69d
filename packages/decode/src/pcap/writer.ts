// Writers for pcap and pcapng. Byte order: little-endian (the files say so in
// their magic numbers, so readers on any machine understand them).
//
// Both writers return Uint8Arrays for the caller to write in order: a header
// first, then one record per packet. Nothing is buffered inside.

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
}

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

export interface PcapngHeaderOptions {
  snaplen?: number;
  linktype?: number;
  /** Written as the section's shb_userappl option. */
  application?: string;
}

const textEncoder = new TextEncoder();

/**
 * A section header block and one interface description block with
 * nanosecond timestamps (if_tsresol = 9); packets go to interface 0.
 */
export function pcapngFileHeader(options: PcapngHeaderOptions = {}): Uint8Array {
  const app = textEncoder.encode(options.application ?? "pval");
  const appPadded = (app.length + 3) & ~3;
  const shbLen = 28 + 4 + appPadded + 4;
  const idbLen = 20 + 8 + 4 + 4;
  const out = new Uint8Array(shbLen + idbLen);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x0a0d0d0a, true);
  v.setUint32(4, shbLen, true);
  v.setUint32(8, 0x1a2b3c4d, true);
  v.setUint16(12, 1, true);
  v.setUint16(14, 0, true);
  v.setInt32(16, -1, true); // section length unknown: written as a stream
  v.setInt32(20, -1, true);
  v.setUint16(24, 4, true); // shb_userappl
  v.setUint16(26, app.length, true);
  out.set(app, 28);
  // opt_endofopt is the 4 zero bytes after the padded value
  v.setUint32(shbLen - 4, shbLen, true);
  const i = shbLen;
  v.setUint32(i, 1, true);
  v.setUint32(i + 4, idbLen, true);
  v.setUint16(i + 8, options.linktype ?? LINKTYPE_ETHERNET, true);
  v.setUint32(i + 12, options.snaplen ?? MAX_CAPLEN, true);
  v.setUint16(i + 16, 9, true); // if_tsresol
  v.setUint16(i + 18, 1, true);
  v.setUint8(i + 20, 9); // 10^-9 s
  // opt_endofopt at i + 24
  v.setUint32(i + idbLen - 4, idbLen, true);
  return out;
}

/** One enhanced packet block for interface 0, nanosecond timestamp. */
export function pcapngRecord(packet: PacketToWrite): Uint8Array {
  const origlen = checkPacket(packet);
  const caplen = packet.data.length;
  const total = 32 + ((caplen + 3) & ~3);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  const [hi, lo] = joinNanoseconds(packet.tsSec, packet.tsNsec);
  v.setUint32(0, 6, true);
  v.setUint32(4, total, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, hi, true);
  v.setUint32(16, lo, true);
  v.setUint32(20, caplen, true);
  v.setUint32(24, origlen, true);
  out.set(packet.data, 28);
  v.setUint32(total - 4, total, true);
  return out;
}
