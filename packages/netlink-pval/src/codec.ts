// rtnetlink message and attribute codec.
//
// Byte order: netlink is host order (the order of the machine that runs the
// kernel), so every multi-byte field here is read and written with
// HOST_LITTLE_ENDIAN. Payloads handed out are subarray views of the input, not
// copies.
//
// Attributes are described once, as data (an AttrSpec table per attribute
// space); encodeAttrs and decodeAttrs are derived from the table. The pval
// attribute numbers come from ./generated/abi.js (generated from the kernel's
// ABI header); the generic netlink and rtnetlink numbers below are Linux UAPI
// (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h) and are defined here
// once.
import { endianness } from "node:os";
import {
  IFLA_PVAL_ABI_VERSION,
  IFLA_PVAL_IPOPT,
  IFLA_PVAL_LINK,
  IFLA_PVAL_PAD,
  IFLA_PVAL_RING_SLOTS,
  IFLA_PVAL_RXCOPY,
  IFLA_PVAL_RXTSTAMP,
  IFLA_PVAL_STATS,
  IFLA_PVAL_STATS_IPOPT_INSERTED,
  IFLA_PVAL_STATS_IPOPT_SKIPPED,
  IFLA_PVAL_STATS_IPOPT_SKIPPED_BAD,
  IFLA_PVAL_STATS_IPOPT_SKIPPED_CPU,
  IFLA_PVAL_STATS_PAD,
  IFLA_PVAL_STATS_RX_COPY_DROPS,
  IFLA_PVAL_STATS_RX_TSTAMP_FALLBACK,
  IFLA_PVAL_STATS_TX_COPY_DROPS,
  IFLA_PVAL_STATS_TXTSTAMP_BUSY,
  IFLA_PVAL_SWTSTAMP,
  IFLA_PVAL_TXBUSYDROP,
  IFLA_PVAL_TXCOPY,
  IFLA_PVAL_TXTSTAMP,
} from "./generated/abi.js";

export const HOST_LITTLE_ENDIAN = endianness() === "LE";

// linux/netlink.h
export const NETLINK_ROUTE = 0;
export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_ECHO = 0x8;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;
export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

// linux/rtnetlink.h
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const AF_UNSPEC = 0;
export const IFINFOMSG_LEN = 16;
export const RTEXT_FILTER_VF = 1;

// linux/if_link.h (the IFLA_* attributes this package reads or writes)
export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_QDISC = 6;
export const IFLA_MASTER = 10;
export const IFLA_TXQLEN = 13;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKMODE = 17;
export const IFLA_LINKINFO = 18;
export const IFLA_NET_NS_PID = 19;
export const IFLA_STATS64 = 23;
export const IFLA_GROUP = 27;
export const IFLA_NET_NS_FD = 28;
export const IFLA_EXT_MASK = 29;
export const IFLA_PROMISCUITY = 30;
export const IFLA_NUM_TX_QUEUES = 31;
export const IFLA_NUM_RX_QUEUES = 32;
export const IFLA_CARRIER = 33;
export const IFLA_GSO_MAX_SEGS = 40;
export const IFLA_GSO_MAX_SIZE = 41;
export const IFLA_LINK_NETNSID = 37;
export const IFLA_MIN_MTU = 50;
export const IFLA_MAX_MTU = 51;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;

// linux/if.h net_device_flags and IF_OPER_* (RFC 2863)
export const IFF_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x1, "UP"],
  [0x2, "BROADCAST"],
  [0x4, "DEBUG"],
  [0x8, "LOOPBACK"],
  [0x10, "POINTOPOINT"],
  [0x20, "NOTRAILERS"],
  [0x40, "RUNNING"],
  [0x80, "NOARP"],
  [0x100, "PROMISC"],
  [0x200, "ALLMULTI"],
  [0x400, "MASTER"],
  [0x800, "SLAVE"],
  [0x1000, "MULTICAST"],
  [0x2000, "PORTSEL"],
  [0x4000, "AUTOMEDIA"],
  [0x8000, "DYNAMIC"],
  [0x10000, "LOWER_UP"],
  [0x20000, "DORMANT"],
  [0x40000, "ECHO"],
];
export const IFF_UP = 0x1;
export const OPERSTATES = ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"] as const;

/** A wire value that does not follow the format (bad length, bad string, bad nesting). */
export class DecodeError extends Error {
  override name = "DecodeError";
}

/** The result of a parse function: the value and how many bytes it used. */
export interface ParseResult<T> {
  value: T;
  consumed: number;
}

const align4 = (n: number): number => (n + 3) & ~3;

function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function checkLength(what: string, observed: number, expected: number): void {
  if (observed !== expected) {
    throw new DecodeError(`${what}: payload is ${observed} bytes, expected ${expected}`);
  }
}

// ---------------------------------------------------------------------------
// Attributes

/** One attribute as it appears on the wire. */
export interface RawAttr {
  type: number;
  nested: boolean;
  payload: Uint8Array;
}

/** Parse one attribute at `offset`; `consumed` includes the alignment padding. */
export function parseAttribute(buf: Uint8Array, offset: number): ParseResult<RawAttr> {
  const remaining = buf.byteLength - offset;
  if (remaining < NLA_HDRLEN) {
    throw new DecodeError(`attribute header: ${remaining} bytes left, expected at least ${NLA_HDRLEN}`);
  }
  const view = viewOf(buf);
  const len = view.getUint16(offset, HOST_LITTLE_ENDIAN);
  const rawType = view.getUint16(offset + 2, HOST_LITTLE_ENDIAN);
  if (len < NLA_HDRLEN || len > remaining) {
    throw new DecodeError(`attribute ${rawType & NLA_TYPE_MASK}: length ${len}, ${remaining} bytes left`);
  }
  return {
    value: {
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      payload: buf.subarray(offset + NLA_HDRLEN, offset + len),
    },
    consumed: Math.min(align4(len), remaining),
  };
}

/** Every attribute of a packed attribute stream, in wire order. */
export function parseAttributes(buf: Uint8Array): RawAttr[] {
  const attrs: RawAttr[] = [];
  let offset = 0;
  while (offset < buf.byteLength) {
    const { value, consumed } = parseAttribute(buf, offset);
    attrs.push(value);
    offset += consumed;
  }
  return attrs;
}

/** Encode one attribute: header, payload, padding to 4 bytes. */
export function encodeAttribute(type: number, payload: Uint8Array, nested = false): Buffer {
  const len = NLA_HDRLEN + payload.byteLength;
  if (len > 0xffff) throw new RangeError(`attribute ${type}: payload of ${payload.byteLength} bytes is too long`);
  const out = Buffer.alloc(align4(len));
  const view = viewOf(out);
  view.setUint16(0, len, HOST_LITTLE_ENDIAN);
  view.setUint16(2, type | (nested ? NLA_F_NESTED : 0), HOST_LITTLE_ENDIAN);
  out.set(payload, NLA_HDRLEN);
  return out;
}

/** How an attribute's payload is represented. */
export type AttrKind =
  | "u8"
  | "u16"
  | "u32"
  | "s32"
  | "u64"
  | "bool"
  | "string"
  | "mac"
  | "binary"
  | "pad"
  | "stats64"
  | { nest: readonly AttrSpec[] };

/** One row of an attribute table: wire number, field name, representation. */
export interface AttrSpec {
  type: number;
  key: string;
  kind: AttrKind;
}

/** Values of a decoded attribute space, keyed by the table's field names. */
export type AttrValues = Record<string, unknown>;

const RTNL_LINK_STATS64_FIELDS = [
  "rxPackets",
  "txPackets",
  "rxBytes",
  "txBytes",
  "rxErrors",
  "txErrors",
  "rxDropped",
  "txDropped",
  "multicast",
  "collisions",
  "rxLengthErrors",
  "rxOverErrors",
  "rxCrcErrors",
  "rxFrameErrors",
  "rxFifoErrors",
  "rxMissedErrors",
  "txAbortedErrors",
  "txCarrierErrors",
  "txFifoErrors",
  "txHeartbeatErrors",
  "txWindowErrors",
  "rxCompressed",
  "txCompressed",
  "rxNohandler",
  "rxOtherhostDropped",
] as const;

/** struct rtnl_link_stats64; kernels older than the last fields send a shorter struct. */
export type LinkStats64 = Record<(typeof RTNL_LINK_STATS64_FIELDS)[number], bigint>;

function decodeValue(spec: AttrSpec, attr: RawAttr): unknown {
  const { kind } = spec;
  const p = attr.payload;
  const view = viewOf(p);
  if (typeof kind === "object") return decodeAttrs(kind.nest, p);
  switch (kind) {
    case "u8":
    case "bool": {
      checkLength(spec.key, p.byteLength, 1);
      const v = view.getUint8(0);
      if (kind === "u8") return v;
      if (v > 1) throw new DecodeError(`${spec.key}: value ${v}, expected 0 or 1`);
      return v === 1;
    }
    case "u16":
      checkLength(spec.key, p.byteLength, 2);
      return view.getUint16(0, HOST_LITTLE_ENDIAN);
    case "u32":
      checkLength(spec.key, p.byteLength, 4);
      return view.getUint32(0, HOST_LITTLE_ENDIAN);
    case "s32":
      checkLength(spec.key, p.byteLength, 4);
      return view.getInt32(0, HOST_LITTLE_ENDIAN);
    case "u64":
      checkLength(spec.key, p.byteLength, 8);
      return view.getBigUint64(0, HOST_LITTLE_ENDIAN);
    case "string": {
      const nul = p.indexOf(0);
      return Buffer.from(p.buffer, p.byteOffset, nul === -1 ? p.byteLength : nul).toString("utf8");
    }
    case "mac":
      return Array.from(p, (b) => b.toString(16).padStart(2, "0")).join(":");
    case "binary":
      return p;
    case "pad":
      return undefined;
    case "stats64": {
      if (p.byteLength % 8 !== 0 || p.byteLength < 8 * 23) {
        throw new DecodeError(`${spec.key}: payload is ${p.byteLength} bytes, expected a multiple of 8 ≥ 184`);
      }
      const stats: Partial<LinkStats64> = {};
      RTNL_LINK_STATS64_FIELDS.forEach((name, i) => {
        stats[name] = i * 8 < p.byteLength ? view.getBigUint64(i * 8, HOST_LITTLE_ENDIAN) : 0n;
      });
      return stats as LinkStats64;
    }
  }
}

/**
 * Decode a packed attribute stream with a table. Attributes the table does
 * not know are collected under `unknown` by number, never dropped.
 */
export function decodeAttrs(table: readonly AttrSpec[], buf: Uint8Array): AttrValues {
  const byType = specsByType(table);
  const out: AttrValues = {};
  for (const attr of parseAttributes(buf)) {
    const spec = byType.get(attr.type);
    if (spec === undefined) {
      const unknown = (out.unknown ??= {}) as Record<number, Uint8Array>;
      unknown[attr.type] = attr.payload;
      continue;
    }
    const value = decodeValue(spec, attr);
    if (value !== undefined) out[spec.key] = value;
  }
  return out;
}

function encodeValue(spec: AttrSpec, value: unknown): Buffer {
  const { kind, key } = spec;
  if (typeof kind === "object") return encodeAttribute(spec.type, encodeAttrs(kind.nest, value as AttrValues), true);
  let payload: Buffer;
  const num = (max: number): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
      throw new RangeError(`${key}: ${String(value)} is not an integer in 0..${max}`);
    }
    return value;
  };
  switch (kind) {
    case "bool":
      if (typeof value !== "boolean") throw new TypeError(`${key}: expected a boolean, got ${typeof value}`);
      payload = Buffer.from([value ? 1 : 0]);
      break;
    case "u8":
      payload = Buffer.from([num(0xff)]);
      break;
    case "u16":
      payload = Buffer.alloc(2);
      viewOf(payload).setUint16(0, num(0xffff), HOST_LITTLE_ENDIAN);
      break;
    case "u32":
      payload = Buffer.alloc(4);
      viewOf(payload).setUint32(0, num(0xffffffff), HOST_LITTLE_ENDIAN);
      break;
    case "s32":
      if (typeof value !== "number" || !Number.isInteger(value)) throw new RangeError(`${key}: not an integer`);
      payload = Buffer.alloc(4);
      viewOf(payload).setInt32(0, value, HOST_LITTLE_ENDIAN);
      break;
    case "u64":
      payload = Buffer.alloc(8);
      viewOf(payload).setBigUint64(0, BigInt(value as bigint | number), HOST_LITTLE_ENDIAN);
      break;
    case "string":
      if (typeof value !== "string") throw new TypeError(`${key}: expected a string, got ${typeof value}`);
      payload = Buffer.concat([Buffer.from(value, "utf8"), Buffer.alloc(1)]);
      break;
    case "mac":
      if (typeof value !== "string" || !/^[0-9a-f]{2}(:[0-9a-f]{2})*$/i.test(value)) {
        throw new TypeError(`${key}: expected a MAC address like 02:00:00:00:00:01, got ${String(value)}`);
      }
      payload = Buffer.from(value.split(":").map((h) => Number.parseInt(h, 16)));
      break;
    case "binary":
      payload = Buffer.from(value as Uint8Array);
      break;
    case "pad":
    case "stats64":
      throw new TypeError(`${key}: attribute is reported by the kernel only`);
  }
  return encodeAttribute(spec.type, payload);
}

/**
 * Encode the fields of `values` that the table knows, in table order.
 * Undefined fields are left out; a field the table does not know is an error.
 */
export function encodeAttrs(table: readonly AttrSpec[], values: AttrValues): Buffer {
  const known = new Set(table.map((s) => s.key));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) throw new TypeError(`unknown attribute field "${key}"`);
  }
  const parts: Buffer[] = [];
  for (const spec of table) {
    const value = values[spec.key];
    if (value !== undefined) parts.push(encodeValue(spec, value));
  }
  return Buffer.concat(parts);
}

const specCache = new WeakMap<readonly AttrSpec[], Map<number, AttrSpec>>();
function specsByType(table: readonly AttrSpec[]): Map<number, AttrSpec> {
  let map = specCache.get(table);
  if (map === undefined) {
    map = new Map(table.map((s) => [s.type, s]));
    specCache.set(table, map);
  }
  return map;
}

// ---------------------------------------------------------------------------
// Attribute tables

/** IFLA_PVAL_STATS_*: link-wide counters of a pval link, all u64. */
export const PVAL_STATS_ATTRS: readonly AttrSpec[] = [
  { type: IFLA_PVAL_STATS_PAD, key: "pad", kind: "pad" },
  { type: IFLA_PVAL_STATS_IPOPT_INSERTED, key: "ipoptInserted", kind: "u64" },
  { type: IFLA_PVAL_STATS_IPOPT_SKIPPED, key: "ipoptSkipped", kind: "u64" },
  { type: IFLA_PVAL_STATS_TX_COPY_DROPS, key: "txCopyDrops", kind: "u64" },
  { type: IFLA_PVAL_STATS_RX_COPY_DROPS, key: "rxCopyDrops", kind: "u64" },
  { type: IFLA_PVAL_STATS_TXTSTAMP_BUSY, key: "txtstampBusy", kind: "u64" },
  { type: IFLA_PVAL_STATS_IPOPT_SKIPPED_CPU, key: "ipoptSkippedCpu", kind: "u64" },
  { type: IFLA_PVAL_STATS_IPOPT_SKIPPED_BAD, key: "ipoptSkippedBad", kind: "u64" },
  { type: IFLA_PVAL_STATS_RX_TSTAMP_FALLBACK, key: "rxTstampFallback", kind: "u64" },
];

/** IFLA_PVAL_*: the IFLA_INFO_DATA of kind "pval". */
export const PVAL_ATTRS: readonly AttrSpec[] = [
  { type: IFLA_PVAL_LINK, key: "link", kind: "u32" },
  { type: IFLA_PVAL_IPOPT, key: "ipopt", kind: "bool" },
  { type: IFLA_PVAL_TXTSTAMP, key: "txtstamp", kind: "bool" },
  { type: IFLA_PVAL_RXTSTAMP, key: "rxtstamp", kind: "bool" },
  { type: IFLA_PVAL_TXCOPY, key: "txcopy", kind: "bool" },
  { type: IFLA_PVAL_RXCOPY, key: "rxcopy", kind: "bool" },
  { type: IFLA_PVAL_TXBUSYDROP, key: "txbusydrop", kind: "bool" },
  { type: IFLA_PVAL_SWTSTAMP, key: "swtstamp", kind: "bool" },
  { type: IFLA_PVAL_RING_SLOTS, key: "ringSlots", kind: "u32" },
  { type: IFLA_PVAL_PAD, key: "pad", kind: "pad" },
  { type: IFLA_PVAL_STATS, key: "stats", kind: { nest: PVAL_STATS_ATTRS } },
  { type: IFLA_PVAL_ABI_VERSION, key: "abiVersion", kind: "u32" },
];

/** IFLA_INFO_*; IFLA_INFO_DATA stays raw because its table depends on the kind. */
export const LINKINFO_ATTRS: readonly AttrSpec[] = [
  { type: IFLA_INFO_KIND, key: "kind", kind: "string" },
  { type: IFLA_INFO_DATA, key: "data", kind: "binary" },
];

/** The IFLA_* attributes of a link message that this package uses. */
export const LINK_ATTRS: readonly AttrSpec[] = [
  { type: IFLA_ADDRESS, key: "address", kind: "mac" },
  { type: IFLA_BROADCAST, key: "broadcast", kind: "mac" },
  { type: IFLA_IFNAME, key: "ifname", kind: "string" },
  { type: IFLA_MTU, key: "mtu", kind: "u32" },
  { type: IFLA_LINK, key: "link", kind: "u32" },
  { type: IFLA_QDISC, key: "qdisc", kind: "string" },
  { type: IFLA_MASTER, key: "master", kind: "u32" },
  { type: IFLA_TXQLEN, key: "txqlen", kind: "u32" },
  { type: IFLA_OPERSTATE, key: "operstate", kind: "u8" },
  { type: IFLA_LINKMODE, key: "linkmode", kind: "u8" },
  { type: IFLA_LINKINFO, key: "linkinfo", kind: { nest: LINKINFO_ATTRS } },
  // Requests only: the namespace to move a link to.
  { type: IFLA_NET_NS_PID, key: "netnsPid", kind: "u32" },
  { type: IFLA_STATS64, key: "stats64", kind: "stats64" },
  { type: IFLA_GROUP, key: "group", kind: "u32" },
  { type: IFLA_NET_NS_FD, key: "netnsFd", kind: "u32" },
  { type: IFLA_EXT_MASK, key: "extMask", kind: "u32" },
  { type: IFLA_PROMISCUITY, key: "promiscuity", kind: "u32" },
  { type: IFLA_NUM_TX_QUEUES, key: "numTxQueues", kind: "u32" },
  { type: IFLA_NUM_RX_QUEUES, key: "numRxQueues", kind: "u32" },
  { type: IFLA_CARRIER, key: "carrier", kind: "u8" },
  { type: IFLA_LINK_NETNSID, key: "linkNetnsid", kind: "s32" },
  { type: IFLA_GSO_MAX_SEGS, key: "gsoMaxSegs", kind: "u32" },
  { type: IFLA_GSO_MAX_SIZE, key: "gsoMaxSize", kind: "u32" },
  { type: IFLA_MIN_MTU, key: "minMtu", kind: "u32" },
  { type: IFLA_MAX_MTU, key: "maxMtu", kind: "u32" },
];

// ---------------------------------------------------------------------------
// Messages

/** struct nlmsghdr. */
export interface NlmsgHeader {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/** One netlink message of a datagram; `payload` follows the 16-byte header. */
export interface Nlmsg extends NlmsgHeader {
  payload: Uint8Array;
}

export function encodeMessage(header: NlmsgHeader, ...body: Uint8Array[]): Buffer {
  const payload = Buffer.concat(body);
  const out = Buffer.alloc(align4(NLMSG_HDRLEN + payload.byteLength));
  const view = viewOf(out);
  view.setUint32(0, NLMSG_HDRLEN + payload.byteLength, HOST_LITTLE_ENDIAN);
  view.setUint16(4, header.type, HOST_LITTLE_ENDIAN);
  view.setUint16(6, header.flags, HOST_LITTLE_ENDIAN);
  view.setUint32(8, header.seq, HOST_LITTLE_ENDIAN);
  view.setUint32(12, header.pid, HOST_LITTLE_ENDIAN);
  out.set(payload, NLMSG_HDRLEN);
  return out;
}

/** Parse one message at `offset` of a datagram. */
export function parseMessage(buf: Uint8Array, offset: number): ParseResult<Nlmsg> {
  const remaining = buf.byteLength - offset;
  if (remaining < NLMSG_HDRLEN) {
    throw new DecodeError(`netlink header: ${remaining} bytes left, expected at least ${NLMSG_HDRLEN}`);
  }
  const view = viewOf(buf);
  const len = view.getUint32(offset, HOST_LITTLE_ENDIAN);
  if (len < NLMSG_HDRLEN || len > remaining) {
    throw new DecodeError(`netlink message: length ${len}, ${remaining} bytes left`);
  }
  return {
    value: {
      type: view.getUint16(offset + 4, HOST_LITTLE_ENDIAN),
      flags: view.getUint16(offset + 6, HOST_LITTLE_ENDIAN),
      seq: view.getUint32(offset + 8, HOST_LITTLE_ENDIAN),
      pid: view.getUint32(offset + 12, HOST_LITTLE_ENDIAN),
      payload: buf.subarray(offset + NLMSG_HDRLEN, offset + len),
    },
    consumed: Math.min(align4(len), remaining),
  };
}

/** Every message of a datagram. */
export function parseMessages(buf: Uint8Array): Nlmsg[] {
  const out: Nlmsg[] = [];
  let offset = 0;
  while (offset < buf.byteLength) {
    const { value, consumed } = parseMessage(buf, offset);
    out.push(value);
    offset += consumed;
  }
  return out;
}

/** struct ifinfomsg. */
export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}

export function encodeIfInfoMsg(msg: Partial<IfInfoMsg>): Buffer {
  const out = Buffer.alloc(IFINFOMSG_LEN);
  const view = viewOf(out);
  view.setUint8(0, msg.family ?? AF_UNSPEC);
  view.setUint16(2, msg.type ?? 0, HOST_LITTLE_ENDIAN);
  view.setInt32(4, msg.index ?? 0, HOST_LITTLE_ENDIAN);
  view.setUint32(8, msg.flags ?? 0, HOST_LITTLE_ENDIAN);
  view.setUint32(12, msg.change ?? 0, HOST_LITTLE_ENDIAN);
  return out;
}

export function parseIfInfoMsg(payload: Uint8Array): ParseResult<IfInfoMsg> {
  if (payload.byteLength < IFINFOMSG_LEN) {
    throw new DecodeError(`ifinfomsg: ${payload.byteLength} bytes, expected at least ${IFINFOMSG_LEN}`);
  }
  const view = viewOf(payload);
  return {
    value: {
      family: view.getUint8(0),
      type: view.getUint16(2, HOST_LITTLE_ENDIAN),
      index: view.getInt32(4, HOST_LITTLE_ENDIAN),
      flags: view.getUint32(8, HOST_LITTLE_ENDIAN),
      change: view.getUint32(12, HOST_LITTLE_ENDIAN),
    },
    consumed: IFINFOMSG_LEN,
  };
}

/** struct nlmsgerr plus the extended-ack attributes. `error` is 0 for an ack, else -errno. */
export interface NlmsgErr {
  error: number;
  /** The header of the request this answers. */
  request: NlmsgHeader;
  /** NLMSGERR_ATTR_MSG: the kernel's explanation, when it gave one. */
  extack?: string;
  /** NLMSGERR_ATTR_OFFS: offset of the offending attribute in the request. */
  badAttrOffset?: number;
}

export function parseNlmsgErr(msg: Nlmsg): NlmsgErr {
  const p = msg.payload;
  if (p.byteLength < 4 + NLMSG_HDRLEN) {
    throw new DecodeError(`nlmsgerr: ${p.byteLength} bytes, expected at least ${4 + NLMSG_HDRLEN}`);
  }
  const view = viewOf(p);
  const inner = parseMessageHeaderOnly(p.subarray(4));
  const err: NlmsgErr = { error: view.getInt32(0, HOST_LITTLE_ENDIAN), request: inner.header };
  if (msg.flags & NLM_F_ACK_TLVS) {
    // Without NLM_F_CAPPED the whole request is echoed before the TLVs.
    const echoed = msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(inner.len);
    const tlvStart = 4 + echoed;
    if (tlvStart <= p.byteLength) {
      for (const attr of parseAttributes(p.subarray(tlvStart))) {
        if (attr.type === NLMSGERR_ATTR_MSG) {
          err.extack = decodeValue({ type: attr.type, key: "extack", kind: "string" }, attr) as string;
        } else if (attr.type === NLMSGERR_ATTR_OFFS && attr.payload.byteLength === 4) {
          err.badAttrOffset = viewOf(attr.payload).getUint32(0, HOST_LITTLE_ENDIAN);
        }
      }
    }
  }
  return err;
}

function parseMessageHeaderOnly(buf: Uint8Array): { header: NlmsgHeader; len: number } {
  const view = viewOf(buf);
  return {
    len: view.getUint32(0, HOST_LITTLE_ENDIAN),
    header: {
      type: view.getUint16(4, HOST_LITTLE_ENDIAN),
      flags: view.getUint16(6, HOST_LITTLE_ENDIAN),
      seq: view.getUint32(8, HOST_LITTLE_ENDIAN),
      pid: view.getUint32(12, HOST_LITTLE_ENDIAN),
    },
  };
}
