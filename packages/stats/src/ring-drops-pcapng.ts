// Ring drops in pcapng files: `pval dump -w` writes an Interface Statistics
// Block (pcapng, block type 5) for a device when its capture starts
// (isb_ifdrop 0), each time its ring's drop counter grows (read every
// second), and when the capture ends. isb_ifdrop counts the copies the
// device's ring dropped since the capture started (dropped_full +
// dropped_nomem of PVAL_IOC_RING_STATS), so two consecutive blocks of one
// interface bound a drop window: the drops between them happened between
// their timestamps. `pval stats -r` reads them back into a RingDropTracker.
// Other writers' statistics blocks (tcpdump writes one at the end) carry no
// start block; a first block with a non-zero isb_ifdrop counts from the
// interface's first packet, or else from that block.

import { closeSync, openSync, readSync } from "node:fs";
import type { RingDropTracker, RingSide } from "./ring-drops.js";

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 1;
const BLOCK_EPB = 6;
const BLOCK_ISB = 5;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_ISB_IFDROP = 5;
const BOM = 0x1a2b3c4d;

/** An Interface Statistics Block: interface `id`, timestamp in ns (interfaces of ns resolution), isb_ifdrop. */
export function ringDropStatisticsBlock(id: number, tsNs: bigint, ifdrop: bigint): Uint8Array {
  // header 12 + ts 8, isb_ifdrop (4 + 8), opt_endofopt 4, trailer 4
  const total = 20 + 12 + 4 + 4;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, BLOCK_ISB, true);
  v.setUint32(4, total, true);
  v.setUint32(8, id, true);
  v.setUint32(12, Number(tsNs >> 32n), true);
  v.setUint32(16, Number(tsNs & 0xffffffffn), true);
  v.setUint16(20, OPT_ISB_IFDROP, true);
  v.setUint16(22, 8, true);
  v.setBigUint64(24, ifdrop, true);
  v.setUint32(total - 4, total, true);
  return out;
}

/** The side of a pval device from its name (…-tx-cpu-N / …-rx-cpu-N); other interfaces count as `fallback`. */
export function sideOfDevice(name: string, fallback: RingSide): RingSide {
  const m = /-(tx|rx)-cpu-[0-9]+$/.exec(name);
  return m ? (m[1] as RingSide) : fallback;
}

interface Iface {
  name: string;
  unitsPerSec: bigint;
  lastTs: bigint | null;
  firstPacketTs: bigint | null;
  lastDrop: bigint;
}

/** What one file held: statistics blocks read, and the drops they reported. */
export interface PcapngRingDrops {
  blocks: number;
  drops: number;
}

/**
 * Reads the statistics blocks of a pcapng file (a pcap file has none) into
 * `tracker`, interfaces named as their if_name, `side` for names that are
 * not pval devices. Stops quietly at a truncated block; the packet reader
 * reports bad files.
 */
export function readPcapngRingDrops(path: string, tracker: RingDropTracker, side: RingSide): PcapngRingDrops {
  const fd = openSync(path, "r");
  const result: PcapngRingDrops = { blocks: 0, drops: 0 };
  // The file in pieces of 1 MiB or more: `at(pos, len)` views bytes [pos, pos + len).
  let buf = new Uint8Array(1 << 20);
  let bufPos = 0;
  let have = 0;
  const at = (pos: number, len: number): DataView | null => {
    if (pos < bufPos || pos + len > bufPos + have) {
      if (len > buf.length) buf = new Uint8Array(len);
      bufPos = pos;
      have = 0;
      for (;;) {
        const n = readSync(fd, buf, have, buf.length - have, bufPos + have);
        if (n <= 0) break;
        have += n;
      }
      if (len > have) return null;
    }
    return new DataView(buf.buffer, pos - bufPos, len);
  };
  try {
    const head = at(0, 12);
    if (!head || head.getUint32(0, true) !== BLOCK_SHB) return result;
    let little = true;
    let ifaces: Iface[] = [];
    for (let pos = 0; ; ) {
      const hdr = at(pos, 12);
      if (!hdr) break;
      let type: number;
      if (hdr.getUint32(0, true) === BLOCK_SHB) {
        type = BLOCK_SHB;
        little = hdr.getUint32(8, true) === BOM;
        ifaces = [];
      } else type = hdr.getUint32(0, little);
      const total = hdr.getUint32(4, little);
      if (total < 12 || total % 4 !== 0) break;
      if (type === BLOCK_IDB || type === BLOCK_ISB || (type === BLOCK_EPB && total >= 20)) {
        // A packet block's first 20 bytes hold its interface and timestamp.
        const v = at(pos, type === BLOCK_EPB ? 20 : total);
        if (!v) break;
        if (type === BLOCK_IDB) ifaces.push(readIdb(v, total, little, ifaces.length));
        else if (type === BLOCK_EPB) {
          const iface = ifaces[v.getUint32(8, little)];
          if (iface && iface.firstPacketTs === null) iface.firstPacketTs = blockTime(v, little, iface);
        } else if (total >= 24) {
          const iface = ifaces[v.getUint32(8, little)];
          if (iface) {
            result.blocks++;
            result.drops += readIsb(v, total, little, iface, tracker, side);
          }
        }
      }
      pos += total;
    }
  } finally {
    closeSync(fd);
  }
  return result;
}

function readIdb(v: DataView, total: number, little: boolean, index: number): Iface {
  const iface: Iface = {
    name: `interface ${index}`,
    unitsPerSec: 1_000_000n,
    lastTs: null,
    firstPacketTs: null,
    lastDrop: 0n,
  };
  for (let at = 16; at + 4 <= total - 4; ) {
    const code = v.getUint16(at, little);
    const len = v.getUint16(at + 2, little);
    if (code === 0) break;
    if (code === OPT_IF_NAME) {
      iface.name = new TextDecoder().decode(
        new Uint8Array(v.buffer, v.byteOffset + at + 4, Math.min(len, total - at - 8)),
      );
    } else if (code === OPT_IF_TSRESOL && len >= 1) {
      const r = v.getUint8(at + 4);
      iface.unitsPerSec = r & 0x80 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r);
    }
    at += 4 + ((len + 3) & ~3);
  }
  return iface;
}

function blockTime(v: DataView, little: boolean, iface: Iface): bigint {
  const units = (BigInt(v.getUint32(12, little)) << 32n) | BigInt(v.getUint32(16, little));
  return (units * 1_000_000_000n) / iface.unitsPerSec;
}

function readIsb(
  v: DataView,
  total: number,
  little: boolean,
  iface: Iface,
  tracker: RingDropTracker,
  fallback: RingSide,
): number {
  const ts = blockTime(v, little, iface);
  let ifdrop: bigint | null = null;
  for (let at = 20; at + 4 <= total - 4; ) {
    const code = v.getUint16(at, little);
    const len = v.getUint16(at + 2, little);
    if (code === 0) break;
    if (code === OPT_ISB_IFDROP && len === 8) ifdrop = v.getBigUint64(at + 4, little);
    at += 4 + ((len + 3) & ~3);
  }
  const side = sideOfDevice(iface.name, fallback);
  tracker.device(iface.name, side);
  let added = 0;
  if (ifdrop !== null && ifdrop > iface.lastDrop) {
    let start = iface.lastTs ?? iface.firstPacketTs ?? ts;
    if (start > ts) start = ts; // a packet stamped after the block
    added = Number(ifdrop - iface.lastDrop);
    tracker.add(iface.name, side, start, ts, added);
    iface.lastDrop = ifdrop;
  }
  iface.lastTs = ts;
  return added;
}
