// Slots to and from capture files, for `pval dump -w` and `pval dump -r`.
//
// Writing: pcapng through @pval/decode's writer, one interface per device
// (if_name = the device path), each with nanosecond timestamps (if_tsresol 9)
// and the slot's capacity as its snapshot length (256 bytes), so any pcap tool
// can analyse a saved dump. Packets of an RX device are marked inbound and
// those of a TX device outbound (epb_flags). When the clock that stamped a
// device's slots is known, its interface says so: if_description
// "timestamps: <what the clock is>" and a comment "clock=<name>" (the names
// of @pval/netlink's timestampClock()). A slot's `tstamp` becomes the packet
// timestamp, its stored bytes the captured data and its `pktlen` the
// original length.
//
// Reading: a pcap or pcapng file becomes slots: the packet's timestamp in ns
// stands for `tstamp`, its first 256 captured bytes for `pkt`, and its
// original length for `pktlen`.
//
// Byte order: pcapng blocks are written little-endian (the section header
// says so); slots are native (through SlotBatch).

import {
  LINKTYPE_ETHERNET,
  type PacketToWrite,
  type PcapngInterfaceOptions,
  PcapngWriter,
  PVAL_SLOT_PKT_SIZE,
  pcapngRecordLength,
  readCaptureFile,
  SlotBatch,
  writePcapngRecord,
} from "@pval/decode";

const NS_PER_S = 1_000_000_000n;

/** The clock that stamped a device's slots, for its interface block. */
export interface SlotClock {
  /** Short name, e.g. "software-rx-stack". */
  name: string;
  /** One line of text. */
  description: string;
}

/** A device of a dump: its path and, when known, which way its packets went. */
export interface SlotDevice {
  path: string;
  direction?: "tx" | "rx" | undefined;
}

/** Writes slots of several devices as one pcapng stream. */
export class SlotPcapngWriter {
  readonly #interfaces = new Map<string, number>();
  readonly #devices: SlotDevice[];
  readonly #clocks: ReadonlyMap<string, SlotClock>;
  // One packet, reused for every slot.
  readonly #packet: PacketToWrite = { tsSec: 0, tsNsec: 0, data: new Uint8Array(0) };

  /**
   * `devices`: one interface each, in this order (a path, or a path and its
   * direction); `clocks`: what stamped each device's slots, when known.
   */
  constructor(devices: readonly (string | SlotDevice)[], clocks: ReadonlyMap<string, SlotClock> = new Map()) {
    this.#clocks = clocks;
    if (devices.length === 0) throw new RangeError("a pcapng dump needs at least one device");
    this.#devices = devices.map((d) => (typeof d === "string" ? { path: d } : d));
    this.#devices.forEach((d, i) => {
      if (this.#interfaces.has(d.path)) throw new RangeError(`device ${d.path} listed twice`);
      this.#interfaces.set(d.path, i);
    });
  }

  /** Every device's interface description, in interface order. */
  interfaces(): PcapngInterfaceOptions[] {
    return this.#devices.map((d) => {
      const clock = this.#clocks.get(d.path);
      return {
        linktype: LINKTYPE_ETHERNET,
        snaplen: PVAL_SLOT_PKT_SIZE,
        name: d.path,
        ...(clock ? { description: `timestamps: ${clock.description}`, comments: [`clock=${clock.name}`] } : {}),
      };
    });
  }

  /** The section header and every interface's description; write it first. */
  header(): Uint8Array {
    const w = new PcapngWriter({ application: "pval dump" });
    for (const i of this.interfaces()) w.addInterface(i);
    // A writer of its own: what it hands over stays valid.
    return w.take();
  }

  /** Enhanced packet blocks for the first `count` slots of `slots`, read from `device`. */
  records(slots: SlotBatch, count: number, device: string): Uint8Array {
    const id = this.#interfaces.get(device);
    if (id === undefined) throw new RangeError(`device ${device} has no interface in this dump`);
    const direction = this.#devices[id]!.direction;
    const p = this.#packet;
    p.interfaceId = id;
    p.direction = direction === "rx" ? "in" : direction === "tx" ? "out" : undefined;
    let total = 0;
    for (let i = 0; i < count; i++) {
      p.data = slots.pkt(i);
      total += pcapngRecordLength(p);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const ts = slots.tstamp(i);
      p.tsSec = Number(ts / NS_PER_S);
      p.tsNsec = Number(ts % NS_PER_S);
      p.data = slots.pkt(i);
      p.origlen = slots.pktlen(i);
      at = writePcapngRecord(out, at, p);
    }
    p.data = new Uint8Array(0);
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
