// Streaming reader for pcap (microsecond and nanosecond magic, either byte
// order) and pcapng (section header, interface description, enhanced, simple
// and obsolete packet blocks). Byte order: the file's own, detected from the
// magic number (pcap) or the byte-order magic of each section (pcapng).
//
// The reader is a push parser: feed it chunks in file order; it calls back
// once per packet with a view into the chunk (valid during the callback only)
// and keeps at most one partial record between chunks, so memory stays flat
// whatever the file size.

import { CaptureFormatError } from "./errors.js";
import { splitTimestamp } from "./timestamp.js";

/** The largest caplen accepted, as libpcap's MAXIMUM_SNAPLEN. */
export const MAX_CAPLEN = 262144;
/** The largest pcapng block accepted (16 MiB, as libpcap). */
const MAX_BLOCK = 16 * 1024 * 1024;

export const LINKTYPE_ETHERNET = 1;
/** Linux cooked capture v1 (DLT_LINUX_SLL). */
export const LINKTYPE_LINUX_SLL = 113;
/** Linux cooked capture v2 (DLT_LINUX_SLL2), what `tcpdump -i any` writes. */
export const LINKTYPE_LINUX_SLL2 = 276;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;
const PCAPNG_IDB = 1;
const PCAPNG_OPB = 2;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;
const OPT_COMMENT = 1;
const OPT_IF_NAME = 2;
const OPT_IF_DESCRIPTION = 3;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const OPT_EPB_FLAGS = 2;

export type CaptureFormat = "pcap" | "pcapng";
export type TimestampPrecision = "micro" | "nano";

/**
 * One packet of a capture file. The reader hands the same object to every
 * callback and points it at the next packet afterwards: copy what you keep.
 */
export interface CaptureRecord {
  /** Link-layer type (LINKTYPE_*), 1 for Ethernet. */
  linktype: number;
  /** Seconds since the epoch. */
  tsSec: number;
  /** Fraction of the second in nanoseconds. */
  tsNsec: number;
  /** Length of the packet on the wire. */
  origlen: number;
  /** Captured bytes (`data.length` is the caplen). Valid during the callback only. */
  data: Uint8Array;
  /** Byte offset of the record (pcap) or block (pcapng) in the file. */
  offset: number;
  /** Zero-copy form of `data`: `buffer[dataOffset, dataOffset + caplen)`. */
  buffer: Uint8Array;
  dataOffset: number;
  caplen: number;
  /** pcapng: the direction bits of epb_flags (1 inbound, 2 outbound); undefined when not given. */
  direction?: "in" | "out" | undefined;
}

/** The reused record; `data` is made only when asked for. */
class RecordView implements CaptureRecord {
  linktype = 0;
  tsSec = 0;
  tsNsec = 0;
  origlen = 0;
  offset = 0;
  buffer: Uint8Array = new Uint8Array(0);
  dataOffset = 0;
  caplen = 0;
  direction: "in" | "out" | undefined = undefined;

  get data(): Uint8Array {
    return this.buffer.subarray(this.dataOffset, this.dataOffset + this.caplen);
  }

  set(
    linktype: number,
    sec: number,
    nsec: number,
    origlen: number,
    offset: number,
    buf: Uint8Array,
    at: number,
    caplen: number,
  ): this {
    this.linktype = linktype;
    this.tsSec = sec;
    this.tsNsec = nsec;
    this.origlen = origlen;
    this.offset = offset;
    this.buffer = buf;
    this.dataOffset = at;
    this.caplen = caplen;
    this.direction = undefined;
    return this;
  }
}

/** What the file header says; known after the first header has been read. */
export interface CaptureInfo {
  format: CaptureFormat;
  /** Resolution of the file's timestamps (pcapng: of its first interface). */
  precision: TimestampPrecision;
  linktype: number;
  snaplen: number;
}

/** The text options of one pcapng interface description block. */
export interface CaptureInterface {
  linktype: number;
  snaplen: number;
  /** if_name, when given. */
  name?: string;
  /** if_description, when given. */
  description?: string;
  /** Every opt_comment, in file order. */
  comments: string[];
}

interface PcapngInterface extends CaptureInterface {
  unitsPerSec: number;
  offsetSec: number;
}

const textDecoder = new TextDecoder();

export type RecordCallback = (record: CaptureRecord) => void;

export class CaptureReader {
  #info: CaptureInfo | undefined;
  #pending: Uint8Array = new Uint8Array(0);
  /** File offset of `#pending[0]` (or of the next chunk when nothing is pending). */
  #base = 0;
  #little = true;
  #interfaces: PcapngInterface[] = [];
  /** Every interface block read so far, of all sections. */
  readonly #described: CaptureInterface[] = [];
  #done = false;
  #sawInterface = false;
  readonly #record = new RecordView();

  /** The file header, once it has been read. */
  get info(): CaptureInfo | undefined {
    return this.#info;
  }

  /**
   * The interface description blocks read so far, of every section, in file
   * order (pcapng only: a pcap file has none).
   */
  get interfaces(): readonly CaptureInterface[] {
    return this.#described;
  }

  /**
   * Parses `chunk`, the next bytes of the file, calling `onRecord` for every
   * complete packet. Throws {@link CaptureFormatError} on malformed input,
   * after delivering every packet before the bad spot.
   */
  feed(chunk: Uint8Array, onRecord: RecordCallback): void {
    if (this.#done) throw new Error("CaptureReader: feed() after end()");
    let buf = chunk;
    if (this.#pending.length > 0) {
      const joined = new Uint8Array(this.#pending.length + chunk.length);
      joined.set(this.#pending, 0);
      joined.set(chunk, this.#pending.length);
      buf = joined;
    }
    const base = this.#base;
    const pos = this.#parse(buf, onRecord);
    this.#keep(buf, pos, base);
  }

  /**
   * Parses what it can of `buf` and returns the number of bytes consumed;
   * the caller keeps the rest and passes it again, followed by more input,
   * at the start of the next call (or to {@link end}). Lets a file reader
   * reuse one buffer instead of allocating per chunk.
   */
  feedPartial(buf: Uint8Array, onRecord: RecordCallback): number {
    if (this.#done) throw new Error("CaptureReader: feedPartial() after end()");
    if (this.#pending.length > 0) throw new Error("CaptureReader: feedPartial() after feed() left bytes pending");
    const pos = this.#parse(buf, onRecord);
    this.#base += pos;
    return pos;
  }

  /** Parses from the start of `buf` (file offset `#base`); returns the bytes consumed. */
  #parse(buf: Uint8Array, onRecord: RecordCallback): number {
    const base = this.#base;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    if (this.#info === undefined) {
      const used = this.#readFileHeader(buf, view, base);
      if (used < 0) return 0;
      pos = used;
    }
    return this.#info!.format === "pcap"
      ? this.#readPcapRecords(buf, view, pos, base, onRecord)
      : this.#readPcapngBlocks(buf, view, pos, base, onRecord);
  }

  /**
   * Declares the end of the file; throws when it ends inside a header or
   * record. With feedPartial, pass the bytes it did not consume.
   */
  end(rest?: Uint8Array): void {
    this.#done = true;
    if (rest !== undefined && rest.length > 0) this.#pending = rest.slice();
    const left = this.#pending.length;
    if (this.#info === undefined) {
      throw new CaptureFormatError(
        left === 0 ? "empty file: no capture file header" : `truncated file header: only ${left} bytes`,
        0,
      );
    }
    if (left === 0) return;
    const view = new DataView(this.#pending.buffer, this.#pending.byteOffset, this.#pending.byteLength);
    if (this.#info.format === "pcap") {
      if (left < 16) {
        throw new CaptureFormatError(`truncated record header: ${left} of 16 bytes`, this.#base);
      }
      const caplen = view.getUint32(8, this.#little);
      throw new CaptureFormatError(
        `truncated record: caplen ${caplen}, but the file ends after ${left - 16} bytes of packet data`,
        this.#base,
      );
    }
    if (left < 8) throw new CaptureFormatError(`truncated block header: ${left} of 8 bytes`, this.#base);
    const total = view.getUint32(4, this.#little);
    throw new CaptureFormatError(`truncated block: length ${total}, but the file ends after ${left} bytes`, this.#base);
  }

  #keep(buf: Uint8Array, pos: number, base: number): void {
    // Copy the tail: the caller may reuse the chunk's memory.
    this.#pending = pos >= buf.length ? new Uint8Array(0) : buf.slice(pos);
    this.#base = base + pos;
  }

  /** Returns the bytes consumed, -1 when more input is needed. */
  #readFileHeader(buf: Uint8Array, view: DataView, base: number): number {
    if (buf.length < 4) return -1;
    const magicBE = view.getUint32(0, false);
    if (magicBE === PCAPNG_SHB) {
      this.#info = { format: "pcapng", precision: "micro", linktype: 0, snaplen: 0 };
      return 0; // the section header is read as a block
    }
    let little: boolean;
    let precision: TimestampPrecision;
    const magicLE = view.getUint32(0, true);
    if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS) {
      little = true;
      precision = magicLE === PCAP_MAGIC_NS ? "nano" : "micro";
    } else if (magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) {
      little = false;
      precision = magicBE === PCAP_MAGIC_NS ? "nano" : "micro";
    } else {
      throw new CaptureFormatError(
        `not a pcap or pcapng file: unknown magic number 0x${magicBE.toString(16).padStart(8, "0")}`,
        base,
      );
    }
    if (buf.length < 24) return -1;
    const major = view.getUint16(4, little);
    const minor = view.getUint16(6, little);
    if (major !== 2) {
      throw new CaptureFormatError(`unsupported pcap version ${major}.${minor} (expected 2.4)`, base + 4);
    }
    const snaplen = view.getUint32(16, little);
    const linktype = view.getUint32(20, little) & 0x0fffffff;
    this.#little = little;
    this.#info = { format: "pcap", precision, linktype, snaplen };
    return 24;
  }

  #readPcapRecords(buf: Uint8Array, view: DataView, start: number, base: number, onRecord: RecordCallback): number {
    const little = this.#little;
    const linktype = this.#info!.linktype;
    const nano = this.#info!.precision === "nano";
    let pos = start;
    const n = buf.length;
    while (pos + 16 <= n) {
      const caplen = view.getUint32(pos + 8, little);
      if (caplen > MAX_CAPLEN) {
        throw new CaptureFormatError(
          `invalid record: caplen ${caplen} is larger than the maximum of ${MAX_CAPLEN}`,
          base + pos,
        );
      }
      if (pos + 16 + caplen > n) break;
      const frac = view.getUint32(pos + 4, little);
      if (frac >= (nano ? 1_000_000_000 : 1_000_000)) {
        throw new CaptureFormatError(
          `invalid record: timestamp fraction ${frac} is not below one second in ${nano ? "ns" : "µs"}`,
          base + pos,
        );
      }
      onRecord(
        this.#record.set(
          linktype,
          view.getUint32(pos, little),
          nano ? frac : frac * 1000,
          view.getUint32(pos + 12, little),
          base + pos,
          buf,
          pos + 16,
          caplen,
        ),
      );
      pos += 16 + caplen;
    }
    return pos;
  }

  #readPcapngBlocks(buf: Uint8Array, view: DataView, start: number, base: number, onRecord: RecordCallback): number {
    let pos = start;
    const n = buf.length;
    while (pos + 12 <= n) {
      const typeBE = view.getUint32(pos, false);
      if (typeBE === PCAPNG_SHB) {
        const bom = view.getUint32(pos + 8, true);
        if (bom === PCAPNG_BYTE_ORDER) this.#little = true;
        else if (bom === 0x4d3c2b1a) this.#little = false;
        else {
          throw new CaptureFormatError(
            `invalid pcapng section header: byte-order magic 0x${bom.toString(16).padStart(8, "0")}`,
            base + pos + 8,
          );
        }
      }
      const little = this.#little;
      const type = view.getUint32(pos, little);
      const total = view.getUint32(pos + 4, little);
      if (total < 12 || total % 4 !== 0 || total > MAX_BLOCK) {
        throw new CaptureFormatError(`invalid pcapng block: length ${total} (type ${type})`, base + pos);
      }
      if (pos + total > n) break;
      const trailer = view.getUint32(pos + total - 4, little);
      if (trailer !== total) {
        throw new CaptureFormatError(
          `invalid pcapng block: leading length ${total} and trailing length ${trailer} differ`,
          base + pos,
        );
      }
      const at = base + pos;
      switch (type) {
        case PCAPNG_SHB:
          this.#readSectionHeader(view, pos, total, at);
          break;
        case PCAPNG_IDB:
          this.#readInterface(view, pos, total, at);
          break;
        case PCAPNG_EPB:
        case PCAPNG_OPB:
          this.#readPacketBlock(buf, view, pos, total, at, type, onRecord);
          break;
        case PCAPNG_SPB:
          this.#readSimpleBlock(buf, view, pos, total, at, onRecord);
          break;
        default:
          break; // statistics, name resolution, custom blocks: nothing to print
      }
      pos += total;
    }
    return pos;
  }

  #readSectionHeader(view: DataView, pos: number, total: number, at: number): void {
    if (total < 28) throw new CaptureFormatError(`invalid pcapng section header: length ${total}`, at);
    const major = view.getUint16(pos + 12, this.#little);
    if (major !== 1) {
      throw new CaptureFormatError(`unsupported pcapng version ${major} (expected 1)`, at + 12);
    }
    this.#interfaces = [];
  }

  #readInterface(view: DataView, pos: number, total: number, at: number): void {
    const little = this.#little;
    if (total < 20) throw new CaptureFormatError(`invalid pcapng interface block: length ${total}`, at);
    const iface: PcapngInterface = {
      linktype: view.getUint16(pos + 8, little),
      snaplen: view.getUint32(pos + 12, little),
      comments: [],
      unitsPerSec: 1_000_000,
      offsetSec: 0,
    };
    let opt = pos + 16;
    const end = pos + total - 4;
    while (opt + 4 <= end) {
      const code = view.getUint16(opt, little);
      const len = view.getUint16(opt + 2, little);
      if (code === 0) break;
      if (opt + 4 + len > end) {
        throw new CaptureFormatError(`invalid pcapng interface option ${code}: length ${len} overruns the block`, at);
      }
      if (code === OPT_COMMENT || code === OPT_IF_NAME || code === OPT_IF_DESCRIPTION) {
        const text = textDecoder.decode(new Uint8Array(view.buffer, view.byteOffset + opt + 4, len));
        if (code === OPT_COMMENT) iface.comments.push(text);
        else if (code === OPT_IF_NAME) iface.name = text;
        else iface.description = text;
      } else if (code === OPT_IF_TSRESOL && len >= 1) {
        const r = view.getUint8(opt + 4);
        const exp = r & 0x7f;
        if ((r & 0x80) === 0 ? exp > 15 : exp > 52) {
          throw new CaptureFormatError(`unsupported pcapng timestamp resolution 0x${r.toString(16)}`, opt + 4);
        }
        iface.unitsPerSec = (r & 0x80) === 0 ? 10 ** exp : 2 ** exp;
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        iface.offsetSec = view.getUint32(opt + 4 + (little ? 4 : 0), little) * 4294967296;
        iface.offsetSec += view.getUint32(opt + 4 + (little ? 0 : 4), little);
      }
      opt += 4 + ((len + 3) & ~3);
    }
    if (!this.#sawInterface) {
      this.#sawInterface = true;
      this.#info = {
        format: "pcapng",
        precision: iface.unitsPerSec >= 1_000_000_000 ? "nano" : "micro",
        linktype: iface.linktype,
        snaplen: iface.snaplen,
      };
    }
    this.#interfaces.push(iface);
    const { unitsPerSec: _u, offsetSec: _o, ...described } = iface;
    this.#described.push(described);
  }

  #interface(id: number, at: number): PcapngInterface {
    const iface = this.#interfaces[id];
    if (iface === undefined) {
      throw new CaptureFormatError(
        `pcapng packet block names interface ${id}, but only ${this.#interfaces.length} are defined`,
        at,
      );
    }
    return iface;
  }

  #readPacketBlock(
    buf: Uint8Array,
    view: DataView,
    pos: number,
    total: number,
    at: number,
    type: number,
    onRecord: RecordCallback,
  ): void {
    const little = this.#little;
    if (total < 32) throw new CaptureFormatError(`invalid pcapng packet block: length ${total}`, at);
    const id = type === PCAPNG_EPB ? view.getUint32(pos + 8, little) : view.getUint16(pos + 8, little);
    const iface = this.#interface(id, at);
    const hi = view.getUint32(pos + 12, little);
    const lo = view.getUint32(pos + 16, little);
    const caplen = view.getUint32(pos + 20, little);
    const origlen = view.getUint32(pos + 24, little);
    if (caplen > MAX_CAPLEN) {
      throw new CaptureFormatError(
        `invalid packet block: caplen ${caplen} is larger than the maximum of ${MAX_CAPLEN}`,
        at,
      );
    }
    if (28 + caplen > total - 4) {
      throw new CaptureFormatError(`invalid packet block: caplen ${caplen} overruns the block length ${total}`, at);
    }
    const t = splitTimestamp(hi, lo, iface.unitsPerSec);
    const record = this.#record.set(
      iface.linktype,
      t.sec + iface.offsetSec,
      t.nsec,
      origlen,
      at,
      buf,
      pos + 28,
      caplen,
    );
    if (type === PCAPNG_EPB && 28 + ((caplen + 3) & ~3) + 4 <= total - 4) {
      record.direction = epbDirection(view, pos + 28 + ((caplen + 3) & ~3), pos + total - 4, little);
    }
    onRecord(record);
  }

  #readSimpleBlock(
    buf: Uint8Array,
    view: DataView,
    pos: number,
    total: number,
    at: number,
    onRecord: RecordCallback,
  ): void {
    const iface = this.#interface(0, at);
    const origlen = view.getUint32(pos + 8, this.#little);
    let caplen = Math.min(origlen, total - 16);
    if (iface.snaplen !== 0) caplen = Math.min(caplen, iface.snaplen);
    onRecord(this.#record.set(iface.linktype, 0, 0, origlen, at, buf, pos + 12, caplen));
  }
}

/** The direction bits of an enhanced packet block's epb_flags option, if it has one. */
function epbDirection(view: DataView, opt: number, end: number, little: boolean): "in" | "out" | undefined {
  while (opt + 4 <= end) {
    const code = view.getUint16(opt, little);
    const len = view.getUint16(opt + 2, little);
    if (code === 0 || opt + 4 + len > end) return undefined;
    if (code === OPT_EPB_FLAGS && len === 4) {
      const bits = view.getUint32(opt + 4, little) & 3;
      return bits === 1 ? "in" : bits === 2 ? "out" : undefined;
    }
    opt += 4 + ((len + 3) & ~3);
  }
  return undefined;
}
