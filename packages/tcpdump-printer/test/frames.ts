// Frame builders for the printer tests: each returns the bytes of one
// Ethernet frame with lengths and checksums filled in (unless overridden), so
// the corpus can hold both well-formed and deliberately wrong packets.

export type Bytes = number[] | Uint8Array;

const MAC_A = [0x08, 0x00, 0x27, 0x19, 0x12, 0xa4];
const MAC_B = [0xea, 0x51, 0xd7, 0x0c, 0x95, 0x1a];

export function cat(...parts: Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function u16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

export function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export function ip4(s: string): number[] {
  return s.split(".").map(Number);
}

export function ip6(s: string): number[] {
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => u16(Number.parseInt(g, 16)));
}

/** The Internet checksum of `data`. */
export function cksum(data: Bytes, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length % 2) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface EtherOptions {
  src?: number[];
  dst?: number[];
  vlan?: { id: number; pcp?: number; dei?: boolean }[];
}

export function ether(type: number, payload: Bytes, o: EtherOptions = {}): Uint8Array {
  const tags = (o.vlan ?? []).flatMap((t, i, all) => [
    ...u16(i === 0 && all.length > 1 ? 0x88a8 : 0x8100),
    ...u16(((t.pcp ?? 0) << 13) | (t.dei ? 0x1000 : 0) | t.id),
  ]);
  return cat(o.dst ?? MAC_B, o.src ?? MAC_A, tags, u16(type), payload);
}

export interface Ip4Options {
  tos?: number;
  id?: number;
  ttl?: number;
  df?: boolean;
  mf?: boolean;
  rf?: boolean;
  offset?: number;
  options?: Bytes;
  totalLength?: number;
  checksum?: number;
  ihl?: number;
  version?: number;
}

export function ipv4(proto: number, src: string, dst: string, payload: Bytes, o: Ip4Options = {}): Uint8Array {
  const opts = o.options ?? [];
  const hlen = 20 + opts.length;
  const flags = (o.rf ? 0x8000 : 0) | (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.offset ?? 0) >> 3);
  const h = cat(
    [((o.version ?? 4) << 4) | (o.ihl ?? hlen / 4), o.tos ?? 0],
    u16(o.totalLength ?? hlen + payload.length),
    u16(o.id ?? 1),
    u16(flags),
    [o.ttl ?? 64, proto, 0, 0],
    ip4(src),
    ip4(dst),
    opts,
  );
  const sum = o.checksum ?? cksum(h);
  h[10] = sum >> 8;
  h[11] = sum & 0xff;
  return cat(h, payload);
}

/** Option 222 as the pval link inserts it (seq little-endian). */
export function pvalOption(cpu: number, seq: bigint): number[] {
  const out = [222, 12, 0, cpu];
  for (let i = 0n; i < 8n; i++) out.push(Number((seq >> (8n * i)) & 0xffn));
  return out;
}

function pseudo4(src: string, dst: string, proto: number, len: number): number {
  const p = [...ip4(src), ...ip4(dst), 0, proto, ...u16(len)];
  return ~cksum(p) & 0xffff;
}

function pseudo6(src: string, dst: string, proto: number, len: number): number {
  const p = [...ip6(src), ...ip6(dst), ...u32(len), 0, 0, 0, proto];
  return ~cksum(p) & 0xffff;
}

export interface L4Options {
  checksum?: number;
  /** Addresses for the pseudo-header; IPv6 when they contain ':'. */
  src?: string;
  dst?: string;
}

function withChecksum(seg: Uint8Array, at: number, proto: number, o: L4Options, zeroAsFfff = false): Uint8Array {
  let sum = o.checksum;
  if (sum === undefined && o.src !== undefined && o.dst !== undefined) {
    const init = o.src.includes(":")
      ? pseudo6(o.src, o.dst, proto, seg.length)
      : pseudo4(o.src, o.dst, proto, seg.length);
    sum = cksum(seg, init);
    if (zeroAsFfff && sum === 0) sum = 0xffff;
  }
  sum ??= 0;
  seg[at] = sum >> 8;
  seg[at + 1] = sum & 0xff;
  return seg;
}

export function udp(sport: number, dport: number, payload: Bytes, o: L4Options & { length?: number } = {}): Uint8Array {
  const seg = cat(u16(sport), u16(dport), u16(o.length ?? 8 + payload.length), [0, 0], payload);
  return withChecksum(seg, 6, 17, o, true);
}

export interface TcpOptions extends L4Options {
  seq?: number;
  ack?: number;
  flags?: string;
  win?: number;
  urg?: number;
  options?: Bytes;
  dataOffset?: number;
}

const TCP_FLAGS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, ".": 16, U: 32, E: 64, W: 128 };

export function tcp(sport: number, dport: number, payload: Bytes, o: TcpOptions = {}): Uint8Array {
  const opts = o.options ?? [];
  const flags = [...(o.flags ?? "S")].reduce((f, c) => f | (TCP_FLAGS[c] ?? 0), 0);
  const seg = cat(
    u16(sport),
    u16(dport),
    u32(o.seq ?? 1000),
    u32(o.ack ?? 0),
    [((o.dataOffset ?? (20 + opts.length) / 4) << 4) | 0, flags],
    u16(o.win ?? 64240),
    [0, 0],
    u16(o.urg ?? 0),
    opts,
    payload,
  );
  return withChecksum(seg, 16, 6, o);
}

export function icmp(type: number, code: number, rest: Bytes, o: { checksum?: number } = {}): Uint8Array {
  const msg = cat([type, code, 0, 0], rest);
  const sum = o.checksum ?? cksum(msg);
  msg[2] = sum >> 8;
  msg[3] = sum & 0xff;
  return msg;
}

export function icmp6(type: number, code: number, rest: Bytes, o: L4Options = {}): Uint8Array {
  return withChecksum(cat([type, code, 0, 0], rest), 2, 58, o);
}

export interface Ip6Options {
  tc?: number;
  flow?: number;
  hlim?: number;
  payloadLength?: number;
}

export function ipv6(next: number, src: string, dst: string, payload: Bytes, o: Ip6Options = {}): Uint8Array {
  const tc = o.tc ?? 0;
  const flow = o.flow ?? 0;
  return cat(
    [0x60 | (tc >> 4), ((tc & 0xf) << 4) | ((flow >> 16) & 0xf), (flow >> 8) & 0xff, flow & 0xff],
    u16(o.payloadLength ?? payload.length),
    [next, o.hlim ?? 64],
    ip6(src),
    ip6(dst),
    payload,
  );
}

export function arp(op: number, sha: number[], spa: string, tha: number[], tpa: string): Uint8Array {
  return cat(u16(1), u16(0x0800), [6, 4], u16(op), sha, ip4(spa), tha, ip4(tpa));
}

export interface DnsRecord {
  /** A dotted name, or raw bytes (for compression pointers). */
  name: string | number[];
  type: number;
  cls?: number;
  ttl?: number;
  data?: Bytes;
}

export function dnsName(name: string): number[] {
  if (name === "." || name === "") return [0];
  return [
    ...name
      .split(".")
      .filter(Boolean)
      .flatMap((l) => [l.length, ...[...l].map((c) => c.charCodeAt(0))]),
    0,
  ];
}

export function dns(
  id: number,
  flags: number,
  q: DnsRecord[],
  an: DnsRecord[] = [],
  ns: DnsRecord[] = [],
  ar: DnsRecord[] = [],
): Uint8Array {
  const rr = (r: DnsRecord, question: boolean) =>
    cat(
      typeof r.name === "string" ? dnsName(r.name) : r.name,
      u16(r.type),
      u16(r.cls ?? 1),
      question ? [] : cat(u32(r.ttl ?? 300), u16(r.data?.length ?? 0), r.data ?? []),
    );
  return cat(
    u16(id),
    u16(flags),
    u16(q.length),
    u16(an.length),
    u16(ns.length),
    u16(ar.length),
    ...q.map((r) => rr(r, true)),
    ...an.map((r) => rr(r, false)),
    ...ns.map((r) => rr(r, false)),
    ...ar.map((r) => rr(r, false)),
  );
}

export const MAC = { A: MAC_A, B: MAC_B };
