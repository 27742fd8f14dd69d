// The public printer: one tcpdump-style text block per packet.

import { Ctx, TRUNCATED } from "./context.js";
import { printEther } from "./ether.js";
import { hexAsciiBytes, hexDump } from "./hex.js";
import { type Precision, TimestampFormatter, type TimestampMode } from "./timestamp.js";

export type HexMode = "none" | "x" | "xx" | "X" | "XX";

export interface PrintOptions {
  /** Number of -v flags, 0..3. */
  verbose?: number;
  /** -e: print the link-level header. */
  link?: boolean;
  /** -x, -xx, -X, -XX. */
  hex?: HexMode;
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
  /** Length on the wire (defaults to `data.length`). */
  origlen?: number;
}

/**
 * A stateful printer, one per capture: like tcpdump it remembers TCP
 * conversations (relative sequence numbers) and the previous timestamp (-ttt).
 */
export class PacketPrinter {
  readonly #ctx = new Ctx();
  readonly #ts: TimestampFormatter;
  readonly #hex: HexMode;

  constructor(options: PrintOptions = {}) {
    const c = this.#ctx;
    c.verbose = Math.max(0, Math.min(options.verbose ?? 0, 3));
    c.eflag = options.link ?? false;
    this.#hex = options.hex ?? "none";
    c.suppressDefault = this.#hex !== "none";
    this.#ts = new TimestampFormatter(options.timestamps ?? "time", options.precision ?? "micro");
  }

  #print(packet: PrintablePacket): void {
    const c = this.#ctx;
    const data = packet.data;
    c.data = data;
    c.end = data.length;
    c.w(this.#ts.format(packet.tsSec, packet.tsNsec));
    c.jumped = false;
    let hdrlen = 0;
    try {
      hdrlen = printEther(c, packet.origlen ?? data.length);
    } catch (err) {
      if (err !== TRUNCATED) throw err;
      c.w(` [|${c.proto}]`);
      c.jumped = true;
    }
    if (c.jumped) hdrlen = 0;
    const caplen = data.length;
    switch (this.#hex) {
      case "x":
        if (caplen > hdrlen) c.w(hexDump(data, hdrlen, caplen - hdrlen, "\n\t"));
        break;
      case "xx":
        c.w(hexDump(data, 0, caplen, "\n\t"));
        break;
      case "X":
        if (caplen > hdrlen) c.w(hexAsciiBytes(data, hdrlen, caplen - hdrlen, "\n\t"));
        break;
      case "XX":
        c.w(hexAsciiBytes(data, 0, caplen, "\n\t"));
        break;
    }
    c.w("\n");
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
