// The public printer: one tcpdump-style text block per packet.

import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from "@pval/decode";
import { Ctx, type Text, TRUNCATED, text } from "./context.js";
import { printEther } from "./ether.js";
import { asciiText, hexAsciiBytes, hexDump } from "./hex.js";
import { sysfsInterfaceNames } from "./ifname.js";
import { type InterfaceNameResolver, printSll, printSll2 } from "./sll.js";

export { LINKTYPE_ETHERNET };

import { type Precision, TimestampFormatter, type TimestampMode } from "./timestamp.js";

/** tcpdump's MAXIMUM_SNAPLEN: longer records are invalid. */
const MAX_SNAPLEN = 262144;

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
  /**
   * Names the interface index of Linux cooked v2 headers (tcpdump uses
   * if_indextoname); default: /sys/class/net. Unknown indexes print `?`.
   */
  interfaceName?: InterfaceNameResolver;
}

/** The link types the printer knows: Ethernet, Linux cooked (SLL) and Linux cooked v2 (SLL2). */
export const PRINTABLE_LINKTYPES: readonly number[] = [LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2];

/** True when {@link PacketPrinter} prints packets of this link type (LINKTYPE_/DLT_ value). */
export function isPrintableLinktype(linktype: number): boolean {
  return linktype === LINKTYPE_ETHERNET || linktype === LINKTYPE_LINUX_SLL || linktype === LINKTYPE_LINUX_SLL2;
}

/** A packet to print: a captured frame and its metadata. */
export interface PrintablePacket {
  /** The link type of `data` (LINKTYPE_ value): 1 Ethernet (default), 113 Linux cooked, 276 Linux cooked v2. */
  linktype?: number;
  tsSec: number;
  /** Fraction of the second in nanoseconds. */
  tsNsec: number;
  /** Captured bytes, starting at the link-layer header. */
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
  readonly #interfaceName: InterfaceNameResolver;
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
    this.#interfaceName = options.interfaceName ?? sysfsInterfaceNames();
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
    const linktype = packet.linktype ?? LINKTYPE_ETHERNET;
    if (!isPrintableLinktype(linktype)) {
      throw new RangeError(`link type ${linktype} cannot be printed (Ethernet, Linux cooked v1 and v2 can)`);
    }
    c.setData(data);
    c.end = base + caplen;
    const origlen = packet.origlen ?? caplen;
    if (caplen === 0 || origlen === 0 || origlen < caplen || origlen > MAX_SNAPLEN) {
      this.#invalidHeader(caplen, origlen);
      return;
    }
    this.#timestamp(packet.tsSec, packet.tsNsec);
    c.jumped = false;
    c.ipDepth = 0;
    let hdrlen = 0;
    try {
      if (linktype === LINKTYPE_ETHERNET) hdrlen = printEther(c, base, origlen);
      else if (linktype === LINKTYPE_LINUX_SLL) hdrlen = printSll(c, base, origlen);
      else hdrlen = printSll2(c, base, origlen, this.#interfaceName);
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

  /**
   * A record whose lengths cannot be right: tcpdump names the problems on a
   * line of their own, without a timestamp, and prints nothing else.
   */
  #invalidHeader(caplen: number, origlen: number): void {
    const problems: string[] = [];
    if (caplen === 0) problems.push(" caplen==0");
    if (origlen === 0) problems.push(" len==0");
    else if (origlen < caplen) problems.push(` len(${origlen}) < caplen(${caplen})`);
    if (caplen > MAX_SNAPLEN) problems.push(` caplen(${caplen}) > ${MAX_SNAPLEN}`);
    if (origlen > MAX_SNAPLEN) problems.push(` len(${origlen}) > ${MAX_SNAPLEN}`);
    this.#ctx.w(`[Invalid header:${problems.join(",")}]\n`);
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
