// Text renderings of pval slots, one line per slot: the reference tools'
// dump-one, dump-multi and look-tcp forms (SPEC.md section 4) and a JSON
// object per slot.
//
// Byte order: slot fields are native (read through @pval/decode's
// SlotBatch / readPvalFields), the frame is network order.
//
// Like the packet printer, these never read past the bytes stored in the
// slot and always finish the line: a frame cut before a header ends with
// ` [|ether]`, ` [|ip]` or ` [|tcp]`; a slot whose `len` is impossible is
// printed as `(invalid slot: ...)`.
//
//   dump-one    0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 10.0.0.2 -> 10.0.0.3
//   dump-multi  /dev/pval/pval0-rx-cpu-0 TS=0 08:00:27:19:12:a4 -> ea:51:d7:0c:95:1a Type0800, 10.0.0.2 -> 10.0.0.3
//   look-tcp    /dev/pval/pval0-rx-cpu-0 TS=0 PKTLEN=74 ETHER_TYPE=0x0800 IP_PROTO=6 SYN=1 ACK=0 PSH=0 RST=0 FIN=0
//   json        {"device":"/dev/pval/pval0-rx-cpu-0","direction":"rx","cpu":0,"tstamp":"0",...}
//
// The ethertype printed is the innermost one, after any VLAN tags.

import { FieldStatus, IpProtocol, PvalFields, readPvalFields, type SlotBatch, TcpFlag } from "@pval/decode";

export { readCaptureSlots, SlotPcapngWriter } from "./slot-format-pcap.js";

export type SlotFormat = "dump-one" | "dump-multi" | "look-tcp" | "json";

export const SLOT_FORMATS: readonly SlotFormat[] = ["dump-one", "dump-multi", "look-tcp", "json"];

/** Where a slot came from; dump-multi, look-tcp and JSON print it. */
export interface SlotSource {
  /** Device path (or capture file name). */
  device?: string | undefined;
  direction?: "tx" | "rx" | undefined;
  /** The ring's CPU (not the option's). */
  cpu?: number | undefined;
}

const ETHER_HEADER = 14;
const IPV4_HEADER = 20;
const TCP_FLAGS_AT = 13;
const ETHERTYPE_IPV4 = 0x0800;

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex4(v: number): string {
  return HEX2[(v >>> 8) & 0xff]! + HEX2[v & 0xff]!;
}

function mac(u8: Uint8Array, at: number): string {
  return `${HEX2[u8[at]!]}:${HEX2[u8[at + 1]!]}:${HEX2[u8[at + 2]!]}:${HEX2[u8[at + 3]!]}:${HEX2[u8[at + 4]!]}:${HEX2[u8[at + 5]!]}`;
}

function ipv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/**
 * A u64 given as two u32 halves, in decimal, exact, without a BigInt: this
 * runs for every slot's timestamp, and ns timestamps are far above 2^53.
 * With 2^32 = 4294 * 10^6 + 967296, the value is high * 10^6 + low where
 * both parts stay below 2^53.
 */
export function u64ToDecimal(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * 0x100000000 + lo);
  const b = hi * 967296 + lo;
  const low = b % 1e6;
  const high = hi * 4294 + (b - low) / 1e6;
  const digits = String(low);
  return String(high) + "000000".slice(digits.length) + digits;
}

/** Formats slots of one batch; keeps one PvalFields for all of them. */
export class SlotPrinter {
  readonly format: SlotFormat;
  readonly #fields = new PvalFields();
  #jsonDevice: string | undefined;
  #jsonDeviceText = "null";

  constructor(format: SlotFormat) {
    if (!SLOT_FORMATS.includes(format)) {
      throw new RangeError(`unknown slot format ${JSON.stringify(format)}; one of ${SLOT_FORMATS.join(", ")}`);
    }
    this.format = format;
  }

  /** The line for slot `i`, without the newline. */
  line(batch: SlotBatch, i: number, source: SlotSource = {}): string {
    const f = this.#fields;
    readPvalFields(batch, i, f);
    const ts = u64ToDecimal(f.tstampHi, f.tstampLo);
    switch (this.format) {
      case "dump-one":
        return `${ts} ${this.#ether(batch, i)}`;
      case "dump-multi":
        return `${source.device ?? "-"} TS=${ts} ${this.#ether(batch, i)}`;
      case "look-tcp":
        return `${source.device ?? "-"} TS=${ts} ${this.#lookTcp(batch, i)}`;
      case "json":
        return this.#json(batch, i, ts, source);
    }
  }

  /** Every slot of the batch, one line each, each ending with "\n". */
  lines(batch: SlotBatch, source: SlotSource = {}): string {
    let out = "";
    for (let i = 0; i < batch.count; i++) out += `${this.line(batch, i, source)}\n`;
    return out;
  }

  #invalid(): string {
    const f = this.#fields;
    return `(invalid slot: len ${f.len}, pktlen ${f.pktlen})`;
  }

  // "<src> -> <dst> TypeXXXX[, <ip src> -> <ip dst>]"
  #ether(batch: SlotBatch, i: number): string {
    const f = this.#fields;
    if (f.status & FieldStatus.BAD_SLOT) return this.#invalid();
    if (f.len < ETHER_HEADER) return "[|ether]";
    const u8 = batch.bytes;
    const p = batch.pktOffset(i);
    const macs = `${mac(u8, p + 6)} -> ${mac(u8, p)}`;
    if (f.l3Offset === 0) return `${macs} [|vlan]`;
    let s = `${macs} Type${hex4(f.ethertype)}`;
    if (f.ethertype !== ETHERTYPE_IPV4) return s;
    if (f.status & FieldStatus.IPV4) s += `, ${ipv4(f.src)} -> ${ipv4(f.dst)}`;
    else if (f.status & FieldStatus.TRUNCATED) s += " [|ip]";
    else if (f.status & FieldStatus.MALFORMED) s += " (invalid)";
    return s;
  }

  // "PKTLEN=<n> ETHER_TYPE=0x<4 hex>[ IP_PROTO=<n>[ SYN= ACK= PSH= RST= FIN=]]"
  #lookTcp(batch: SlotBatch, i: number): string {
    const f = this.#fields;
    if (f.status & FieldStatus.BAD_SLOT) return `PKTLEN=${f.pktlen} ${this.#invalid()}`;
    let s = `PKTLEN=${f.pktlen}`;
    if (f.len < ETHER_HEADER) return `${s} [|ether]`;
    if (f.l3Offset === 0) return `${s} [|vlan]`;
    s += ` ETHER_TYPE=0x${hex4(f.ethertype)}`;
    if (f.ethertype !== ETHERTYPE_IPV4) return s;
    if (!(f.status & FieldStatus.IPV4)) {
      return f.status & FieldStatus.MALFORMED ? `${s} (invalid)` : `${s} [|ip]`;
    }
    s += ` IP_PROTO=${f.protocol}`;
    if (f.protocol !== IpProtocol.TCP) return s;
    const flags = this.#tcpFlags(batch, i);
    if (flags < 0) return `${s} [|tcp]`;
    const bit = (b: number): number => (flags & b ? 1 : 0);
    return `${s} SYN=${bit(TcpFlag.SYN)} ACK=${bit(TcpFlag.ACK)} PSH=${bit(TcpFlag.PSH)} RST=${bit(TcpFlag.RST)} FIN=${bit(TcpFlag.FIN)}`;
  }

  // The TCP flags byte, or -1 when the capture stops before it.
  #tcpFlags(batch: SlotBatch, i: number): number {
    const f = this.#fields;
    const p = batch.pktOffset(i);
    const ihl = (batch.bytes[p + f.l3Offset]! & 0x0f) << 2;
    const at = f.l3Offset + Math.max(ihl, IPV4_HEADER) + TCP_FLAGS_AT;
    return at < f.len ? batch.bytes[p + at]! : -1;
  }

  // Built as text, not through JSON.stringify of an object: this runs once
  // per slot at full ring speed. Only the device path needs escaping.
  #json(batch: SlotBatch, i: number, ts: string, source: SlotSource): string {
    const f = this.#fields;
    if (source.device !== this.#jsonDevice) {
      this.#jsonDevice = source.device;
      this.#jsonDeviceText = JSON.stringify(source.device ?? null);
    }
    let s = `{"device":${this.#jsonDeviceText},"direction":${source.direction ? `"${source.direction}"` : "null"},"cpu":${source.cpu ?? "null"},"tstamp":"${ts}","len":${f.len},"pktlen":${f.pktlen}`;
    if (f.status & FieldStatus.BAD_SLOT) return `${s},"invalid":"slot"}`;
    if (f.len >= ETHER_HEADER) {
      const p = batch.pktOffset(i);
      s += `,"src":"${mac(batch.bytes, p + 6)}","dst":"${mac(batch.bytes, p)}","ethertype":${f.ethertype}`;
      if (f.vlanCount) s += `,"vlans":${f.vlanCount}`;
    }
    if (f.status & FieldStatus.IPV4) {
      s += `,"ipSrc":"${ipv4(f.src)}","ipDst":"${ipv4(f.dst)}","ipProto":${f.protocol}`;
      if (f.protocol === IpProtocol.TCP) {
        const flags = this.#tcpFlags(batch, i);
        if (flags >= 0) s += `,"tcpFlags":${flags}`;
      }
    }
    if (f.status & FieldStatus.PVAL) s += `,"pval":{"cpu":${f.cpu},"seq":"${u64ToDecimal(f.seqHi, f.seqLo)}"}`;
    if (f.status & FieldStatus.TRUNCATED) s += `,"truncated":true`;
    if (f.status & FieldStatus.MALFORMED) s += `,"malformed":true`;
    return `${s}}`;
  }
}
