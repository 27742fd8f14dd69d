// The public printer: one tcpdump-style text block per packet.

import { Ctx, type Text, TRUNCATED, text } from "./context.js";
import { printEther } from "./ether.js";
import { asciiText, hexAsciiBytes, hexDump } from "./hex.js";
import { type Precision, TimestampFormatter, type TimestampMode } from "./timestamp.js";

export type HexMode = "none" | "x" | "xx" | "X" | "XX";

export interface PrintOptions {
  /** Number of -v flags, 0..3. */
  verbose?: number;
  /** -e: print the link-level header. */
  link?: boolean;
  /** -x, -xx, -X, -XX. */
  hex?: HexMode;
  /** -A (1: after the link header) or -AA (2: the whole frame): the bytes as ASCII; -x/-X win. */
  ascii?: number;
  /** -q: less protocol detail. */
  quiet?: boolean;
  /** -S: absolute TCP sequence numbers. */
  absoluteSeq?: boolean;
  /** Timestamp format (the number of -t flags). */
  timestamps?: TimestampMode;
  /** Fraction digits: microseconds (default) or nanoseconds (--nano). */
  precision?: Precision;
}

/** A packet to print: a captured Ethernet frame and its metadata. */
export interface PrintablePacket {
  tsSec: number;
  /** Fraction of the second in nanoseconds. */
  tsNsec: number;
  /** Captured bytes, starting at the Ethernet header. */
  data: Uint8Array;
  /** Length on the wire (defaults to the captured length). */
  origlen?: number;
  /**
   * Optional zero-copy form: the captured bytes are `buffer[dataOffset,
   * dataOffset + caplen)`; when all three are set, `data` is not read.
   */
  buffer?: Uint8Array;
  dataOffset?: number;
  caplen?: number;
}

/**
 * A stateful printer, one per capture: like tcpdump it remembers TCP
 * conversations (relative sequence numbers) and the previous timestamp (-ttt).
 */
export class PacketPrinter {
  readonly #ctx = new Ctx();
  readonly #ts: TimestampFormatter;
  readonly #hex: HexMode;
  readonly #ascii: number;
  #prefixSec = Number.NaN;
  #prefix: Text = text("");

  constructor(options: PrintOptions = {}) {
    const c = this.#ctx;
    c.verbose = Math.max(0, Math.min(options.verbose ?? 0, 3));
    c.eflag = options.link ?? false;
    this.#hex = options.hex ?? "none";
    this.#ascii = this.#hex === "none" ? Math.max(0, Math.min(options.ascii ?? 0, 2)) : 0;
    c.quiet = options.quiet ?? false;
    c.absoluteSeq = options.absoluteSeq ?? false;
    // As tcpdump: -x/-X and -q leave out the hex dump of payloads it cannot decode; -A does not.
    c.suppressDefault = this.#hex !== "none" || c.quiet;
    this.#ts = new TimestampFormatter(options.timestamps ?? "time", options.precision ?? "micro");
  }

  #print(packet: PrintablePacket): void {
    const c = this.#ctx;
    let data: Uint8Array;
    let base: number;
    let caplen: number;
    if (packet.buffer !== undefined && packet.dataOffset !== undefined && packet.caplen !== undefined) {
      data = packet.buffer;
      base = packet.dataOffset;
      caplen = packet.caplen;
    } else {
      data = packet.data;
      base = 0;
      caplen = data.length;
    }
    c.setData(data);
    c.end = base + caplen;
    this.#timestamp(packet.tsSec, packet.tsNsec);
    c.jumped = false;
    c.ipDepth = 0;
    let hdrlen = 0;
    try {
      hdrlen = printEther(c, base, packet.origlen ?? caplen);
    } catch (err) {
      if (err !== TRUNCATED) throw err;
      c.w(` [|${c.proto}]`);
      c.jumped = true;
    }
    if (c.jumped) hdrlen = 0;
    switch (this.#hex) {
      case "x":
        if (caplen > hdrlen) c.w(hexDump(data, base + hdrlen, caplen - hdrlen, "\n\t"));
        break;
      case "xx":
        c.w(hexDump(data, base, caplen, "\n\t"));
        break;
      case "X":
        if (caplen > hdrlen) c.w(hexAsciiBytes(data, base + hdrlen, caplen - hdrlen, "\n\t"));
        break;
      case "XX":
        c.w(hexAsciiBytes(data, base, caplen, "\n\t"));
        break;
      default:
        if (this.#ascii === 2) c.w(asciiText(data, base, caplen));
        else if (this.#ascii === 1 && caplen > hdrlen) c.w(asciiText(data, base + hdrlen, caplen - hdrlen));
    }
    c.ch(10);
  }

  /** The timestamp and its space; the common modes without building strings. */
  #timestamp(sec: number, nsec: number): void {
    const c = this.#ctx;
    const ts = this.#ts;
    if (ts.mode === "time" || ts.mode === "date") {
      if (sec !== this.#prefixSec) {
        this.#prefix = text(`${ts.prefix(sec)}.`);
        this.#prefixSec = sec;
      }
      c.t(this.#prefix);
      if (ts.precision === "nano") {
        c.numPad(nsec, 9);
        c.ch(32);
      } else c.micros(Math.floor(nsec / 1000));
    } else c.w(ts.format(sec, nsec));
  }

  /** The text for one packet, ending in a newline. */
  format(packet: PrintablePacket): string {
    const c = this.#ctx;
    c.pos = 0;
    this.#print(packet);
    return Buffer.from(c.buf.buffer, c.buf.byteOffset, c.pos).toString("latin1");
  }

  /**
   * Prints one packet as ASCII bytes and returns them: a view of an internal
   * buffer, valid until the next call (the fast path for writing to a file).
   */
  formatBytes(packet: PrintablePacket): Uint8Array {
    const c = this.#ctx;
    c.pos = 0;
    this.#print(packet);
    return c.buf.subarray(0, c.pos);
  }

  /**
   * Prints one packet after the text of the packets appended before it;
   * returns the number of bytes pending. Take them with {@link drain}.
   */
  append(packet: PrintablePacket): number {
    this.#print(packet);
    return this.#ctx.pos;
  }

  /** The text appended since the last drain, as ASCII bytes (valid until the next call). */
  drain(): Uint8Array {
    const c = this.#ctx;
    const text = c.buf.subarray(0, c.pos);
    c.pos = 0;
    return text;
  }
}

/** Formats one packet with a fresh printer (no TCP or -ttt state carried over). */
export function formatPacket(packet: PrintablePacket, options: PrintOptions = {}): string {
  return new PacketPrinter(options).format(packet);
}

/** Formats a stream of packets, yielding one text block per packet. */
export async function* formatPackets(
  packets: AsyncIterable<PrintablePacket> | Iterable<PrintablePacket>,
  options: PrintOptions = {},
): AsyncGenerator<string> {
  const printer = new PacketPrinter(options);
  for await (const p of packets) yield printer.format(p);
}
