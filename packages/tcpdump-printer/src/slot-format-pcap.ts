// Slots to and from capture files, for `pval dump -w` and `pval dump -r`.
//
// Writing: pcapng, one interface per device (if_name = the device path), each
// with nanosecond timestamps (if_tsresol 9), so any pcap tool can analyse a
// saved dump. When the clock that stamped a device's slots is known, its
// interface says so: if_description "timestamps: <what the clock is>" and a
// comment "clock=<name>" (the names of @pval/netlink's timestampClock()). A slot's `tstamp` becomes the packet timestamp, its stored bytes
// the captured data and its `pktlen` the original length.
//
// Reading: a pcap or pcapng file becomes slots: the packet's timestamp in ns
// stands for `tstamp`, its first 256 captured bytes for `pkt`, and its
// original length for `pktlen`.
//
// Byte order: pcapng blocks are written little-endian (the section header
// says so); slots are native (through SlotBatch).

import {
  LINKTYPE_ETHERNET,
  MAX_CAPLEN,
  PVAL_SLOT_PKT_SIZE,
  pcapngFileHeader,
  pcapngRecord,
  readCaptureFile,
  SlotBatch,
} from "@pval/decode";

const BLOCK_IDB = 1;
const OPT_COMMENT = 1;
const OPT_IF_NAME = 2;
const OPT_IF_DESCRIPTION = 3;
const OPT_IF_TSRESOL = 9;
const EPB_INTERFACE_ID_AT = 8;
const NS_PER_S = 1_000_000_000n;

const textEncoder = new TextEncoder();

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** The clock that stamped a device's slots, for its interface block. */
export interface SlotClock {
  /** Short name, e.g. "software-rx-stack". */
  name: string;
  /** One line of text. */
  description: string;
}

/** Text options (code, UTF-8 value), each padded to 4 bytes. */
function textOptions(options: readonly [number, string][]): Uint8Array {
  const encoded = options.map(([code, text]) => [code, textEncoder.encode(text)] as const);
  const out = new Uint8Array(encoded.reduce((n, [, b]) => n + 4 + pad4(b.length), 0));
  const v = new DataView(out.buffer);
  let at = 0;
  for (const [code, bytes] of encoded) {
    v.setUint16(at, code, true);
    v.setUint16(at + 2, bytes.length, true);
    out.set(bytes, at + 4);
    at += 4 + pad4(bytes.length);
  }
  return out;
}

/** An interface description block: Ethernet, if_name, ns resolution, the clock when known. */
function interfaceBlock(name: string, clock: SlotClock | undefined): Uint8Array {
  const text = textOptions([
    [OPT_IF_NAME, name],
    ...(clock
      ? ([
          [OPT_IF_DESCRIPTION, `timestamps: ${clock.description}`],
          [OPT_COMMENT, `clock=${clock.name}`],
        ] as [number, string][])
      : []),
  ]);
  const optLen = text.length + 4 + 4 + 4; // if_tsresol (1 byte padded), opt_endofopt
  const total = 16 + optLen + 4;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, BLOCK_IDB, true);
  v.setUint32(4, total, true);
  v.setUint16(8, LINKTYPE_ETHERNET, true);
  v.setUint32(12, MAX_CAPLEN, true);
  out.set(text, 16);
  const at = 16 + text.length;
  v.setUint16(at, OPT_IF_TSRESOL, true);
  v.setUint16(at + 2, 1, true);
  v.setUint8(at + 4, 9);
  // opt_endofopt: the 4 zero bytes that follow
  v.setUint32(total - 4, total, true);
  return out;
}

/** Writes slots of several devices as one pcapng stream. */
export class SlotPcapngWriter {
  readonly #interfaces = new Map<string, number>();
  readonly #clocks: ReadonlyMap<string, SlotClock>;

  /** `devices`: one interface each, in this order; `clocks`: what stamped each device's slots, when known. */
  constructor(devices: readonly string[], clocks: ReadonlyMap<string, SlotClock> = new Map()) {
    this.#clocks = clocks;
    if (devices.length === 0) throw new RangeError("a pcapng dump needs at least one device");
    devices.forEach((d, i) => {
      if (this.#interfaces.has(d)) throw new RangeError(`device ${d} listed twice`);
      this.#interfaces.set(d, i);
    });
  }

  /** The section header and every interface's description; write it first. */
  header(): Uint8Array {
    // decode's header is a section header block followed by one interface
    // block; keep the section header and describe our own interfaces.
    const full = pcapngFileHeader({ application: "pval dump" });
    const shbLength = new DataView(full.buffer, full.byteOffset).getUint32(4, true);
    const blocks = [
      full.subarray(0, shbLength),
      ...[...this.#interfaces.keys()].map((d) => interfaceBlock(d, this.#clocks.get(d))),
    ];
    const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of blocks) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }

  /** Enhanced packet blocks for the first `count` slots of `slots`, read from `device`. */
  records(slots: SlotBatch, count: number, device: string): Uint8Array {
    const id = this.#interfaces.get(device);
    if (id === undefined) throw new RangeError(`device ${device} has no interface in this dump`);
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const ts = slots.tstamp(i);
      const block = pcapngRecord({
        tsSec: Number(ts / NS_PER_S),
        tsNsec: Number(ts % NS_PER_S),
        data: slots.pkt(i),
        origlen: slots.pktlen(i),
      });
      new DataView(block.buffer, block.byteOffset).setUint32(EPB_INTERFACE_ID_AT, id, true);
      parts.push(block);
      total += block.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/**
 * Reads a pcap or pcapng file as slots, `batchSize` at a time. Return false
 * from `onBatch` to stop. The batch is reused: copy what you keep.
 */
export function readCaptureSlots(
  path: string | number,
  onBatch: (slots: SlotBatch) => boolean | undefined,
  batchSize = 1024,
): void {
  const batch = SlotBatch.allocate(batchSize);
  let n = 0;
  let stopped = false;
  const flush = (): void => {
    if (n > 0 && !stopped && onBatch(new SlotBatch(batch.bytes, n)) === false) stopped = true;
    n = 0;
  };
  readCaptureFile(path, (record) => {
    if (record.linktype !== LINKTYPE_ETHERNET) {
      throw new RangeError(`packet at offset ${record.offset}: link type ${record.linktype} is not Ethernet (1)`);
    }
    const tstamp = BigInt(record.tsSec) * NS_PER_S + BigInt(record.tsNsec);
    const data = record.data.subarray(0, PVAL_SLOT_PKT_SIZE);
    batch.write(n++, { frame: data, pktlen: Math.max(record.origlen, data.length), tstamp });
    if (n === batchSize) flush();
    return !stopped;
  });
  flush();
}
