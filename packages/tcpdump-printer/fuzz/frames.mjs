// The differential fuzzer's frame generator: a seeded, structure-aware
// builder of Ethernet frames for every protocol the printer decodes, then
// mutations (option lists, bad lengths and checksums, the wrong ethertype,
// fragments, cuts at every layer).
//
// generate(seed, count) returns the same frames for the same arguments on
// every machine: the only source of randomness is mulberry32(seed).

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rand {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  /** An integer in [0, n). */
  int(n) {
    return Math.floor(this.next() * n);
  }
  /** An integer in [lo, hi]. */
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }
  chance(p) {
    return this.next() < p;
  }
  pick(list) {
    return list[this.int(list.length)];
  }
  /** One of `[weight, value]` pairs. */
  weighted(pairs) {
    let total = 0;
    for (const [w] of pairs) total += w;
    let x = this.next() * total;
    for (const [w, v] of pairs) {
      x -= w;
      if (x < 0) return v;
    }
    return pairs[pairs.length - 1][1];
  }
  bytes(n) {
    return Array.from({ length: n }, () => this.int(256));
  }
}

const u16 = (v) => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** The Internet checksum of `data`, starting from the partial sum `initial`. */
function cksum(data, initial = 0) {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.length % 2) sum += data[data.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function partial(data) {
  return ~cksum(data) & 0xffff;
}

// Addresses: a few fixed ones (so TCP conversations repeat and relative
// sequence numbers come into play) and random ones.
const V4 = [
  [10, 0, 0, 2],
  [10, 0, 0, 3],
  [192, 168, 1, 20],
  [172, 16, 0, 1],
];
const V6 = [
  [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x0a, 0x00, 0x27, 0xff, 0xfe, 0x19, 0x12, 0xa4],
  [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
  [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
];
const MACS = [
  [0x08, 0x00, 0x27, 0x19, 0x12, 0xa4],
  [0xea, 0x51, 0xd7, 0x0c, 0x95, 0x1a],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x33, 0x33, 0, 0, 0, 1],
];

/**
 * Ports with no decoder in tcpdump 4.99 (checked against print-tcp.c and
 * print-udp.c), and DNS. Other well-known ports are outside the printer's
 * scope: tcpdump decodes their applications, the printer does not.
 */
const TCP_PORTS = [43210, 8765, 40000, 50001, 12345, 31337, 45678, 61000];
const UDP_PORTS = [43210, 8765, 40000, 50001, 12345, 31337, 45678, 61000];

function addr4(r) {
  return r.chance(0.8) ? r.pick(V4) : r.bytes(4);
}

function addr6(r) {
  return r.chance(0.8) ? r.pick(V6) : r.bytes(16);
}

// ---------------------------------------------------------------- IPv4 options

/** A timestamp option (68): flags 0, 1, 3 or another, with or without room left. */
function tsOption(r) {
  const flg = r.weighted([
    [3, 0],
    [3, 1],
    [3, 3],
    [1, r.range(0, 15)],
  ]);
  const hop = flg === 0 ? 4 : 8;
  const entries = r.range(0, 4);
  let len = 4 + entries * hop;
  if (r.chance(0.15)) len = r.range(2, 40);
  const filled = r.range(0, entries);
  let ptr = 5 + filled * hop;
  if (r.chance(0.15)) ptr = r.int(256);
  const oflw = r.chance(0.2) ? r.range(1, 15) : 0;
  const body = [];
  for (let i = 0; i < entries; i++) {
    if (hop === 8) body.push(...addr4(r));
    body.push(...u32(r.chance(0.5) ? r.int(86_400_000) : r.int(2 ** 32)));
  }
  return [68, len, ptr, (oflw << 4) | flg, ...body].slice(0, Math.max(len, 2));
}

/** A route option (RR, LSRR, SSRR). */
function routeOption(r, code) {
  const hops = r.range(0, 5);
  let len = 3 + hops * 4;
  if (r.chance(0.15)) len = r.range(2, 40);
  let ptr = 4 + r.range(0, hops) * 4;
  if (r.chance(0.15)) ptr = r.int(256);
  const body = [];
  for (let i = 0; i < hops; i++) body.push(...addr4(r));
  return [code, len, ptr, ...body].slice(0, Math.max(len, 2));
}

/** Option 222 as pval writes it: reserved 0, cpu, seq little-endian. */
function pvalOption(r) {
  const seq = r.chance(0.5) ? r.bytes(3).concat([0, 0, 0, 0, 0]) : r.bytes(8);
  return [222, 12, 0, r.chance(0.8) ? r.int(16) : r.int(256), ...seq];
}

function oneOption(r) {
  switch (
    r.weighted([
      [3, "nop"],
      [1, "eol"],
      [3, "ts"],
      [3, "route"],
      [4, "pval"],
      [2, "pval-bad"],
      [1, "security"],
      [2, "ra"],
      [1, "traceroute"],
      [2, "unknown"],
      [1, "short"],
    ])
  ) {
    case "nop":
      return [1];
    case "eol":
      return [0];
    case "ts":
      return tsOption(r);
    case "route":
      return routeOption(r, r.pick([7, 131, 137]));
    case "pval":
      return pvalOption(r);
    case "pval-bad": {
      const len = r.pick([0, 1, 2, 4, 8, 11, 13, 16, 40, r.int(256)]);
      return [222, len, ...r.bytes(Math.max(0, Math.min(len, 14) - 2))];
    }
    case "security":
      return [130, 11, ...r.bytes(9)];
    case "ra": {
      const len = r.pick([4, 4, 4, 2, 3, 6]);
      return [148, len, ...(r.chance(0.6) ? [0, 0] : r.bytes(2)), ...r.bytes(Math.max(0, len - 4))].slice(
        0,
        Math.max(len, 2),
      );
    }
    case "traceroute":
      return [82, 12, ...r.bytes(10)];
    case "unknown": {
      const len = r.range(2, 12);
      return [r.int(256), len, ...r.bytes(len - 2)];
    }
    default:
      return [r.int(256), r.pick([0, 1, 41, 255])];
  }
}

/** An IPv4 option area: 0..40 bytes, usually padded to a multiple of 4. */
function ipOptions(r) {
  const opts = [];
  const count = r.weighted([
    [3, 1],
    [2, 2],
    [1, 3],
    [1, 5],
  ]);
  for (let i = 0; i < count; i++) opts.push(...oneOption(r));
  if (r.chance(0.8)) while (opts.length % 4) opts.push(r.chance(0.7) ? 1 : 0);
  return opts.slice(0, 40);
}

// ---------------------------------------------------------------- IP headers

/**
 * An IPv4 datagram. `o.options` is padded to whole words unless `o.rawHl`
 * overrides the header length; lengths and checksum are filled in unless
 * overridden.
 */
function ipv4(proto, src, dst, payload, o = {}) {
  const options = [...(o.options ?? [])];
  while (options.length % 4) options.push(0);
  const hl = o.hl ?? (20 + options.length) / 4;
  const total = o.totalLength ?? 20 + options.length + payload.length;
  const flags = o.flags ?? 0;
  const off = o.offset ?? 0;
  const hdr = [
    0x40 | (hl & 0xf),
    o.tos ?? 0,
    ...u16(total & 0xffff),
    ...u16(o.id ?? 0),
    ...u16(((flags << 13) | off) & 0xffff),
    o.ttl ?? 64,
    proto,
    0,
    0,
    ...src,
    ...dst,
    ...options,
  ];
  const sum = cksum(hdr);
  hdr[10] = (o.sum ?? sum) >> 8;
  hdr[11] = (o.sum ?? sum) & 0xff;
  if (o.version !== undefined) hdr[0] = (o.version << 4) | (hdr[0] & 0xf);
  return [...hdr, ...payload];
}

function ipv6(nh, src, dst, payload, o = {}) {
  const flow = o.flow ?? 0;
  return [
    0x60 | ((flow >>> 24) & 0xf),
    (flow >>> 16) & 0xff,
    (flow >>> 8) & 0xff,
    flow & 0xff,
    ...u16(o.plen ?? payload.length),
    nh,
    o.hlim ?? 64,
    ...src,
    ...dst,
    ...payload,
  ];
}

function pseudo4(src, dst, proto, len) {
  return partial([...src, ...dst, 0, proto, ...u16(len)]);
}

function pseudo6(src, dst, proto, len) {
  return partial([...src, ...dst, ...u32(len), 0, 0, 0, proto]);
}

/** Fills a transport checksum at `at`, or puts a wrong one there. */
function fillSum(r, seg, at, pseudoSum) {
  seg[at] = 0;
  seg[at + 1] = 0;
  let sum = cksum(seg, pseudoSum);
  if (r.chance(0.08)) sum = r.int(65536);
  seg[at] = sum >> 8;
  seg[at + 1] = sum & 0xff;
  return seg;
}

// ---------------------------------------------------------------- transports

function tcpOptions(r) {
  const opts = [];
  const n = r.range(0, 5);
  for (let i = 0; i < n; i++) {
    switch (r.int(11)) {
      case 0:
        opts.push(2, 4, ...u16(r.pick([1460, 1440, 536, r.int(65536)])));
        break;
      case 1:
        opts.push(3, 3, r.pick([7, 0, 14, r.int(256)]));
        break;
      case 2:
        opts.push(4, 2);
        break;
      case 3: {
        const blocks = r.range(1, 3);
        opts.push(5, 2 + 8 * blocks, ...r.bytes(8 * blocks));
        break;
      }
      case 4:
        opts.push(8, 10, ...r.bytes(8));
        break;
      case 5:
      case 6:
        opts.push(1);
        break;
      case 7:
        opts.push(0);
        break;
      case 8:
        opts.push(28, 4, ...r.bytes(2));
        break;
      case 9: {
        const len = r.range(2, 8);
        // Not 30: MPTCP is outside the printer's scope.
        opts.push(r.pick([6, 7, 11, 19, 20, 29, 34, 99, 253, 254]), len, ...r.bytes(len - 2));
        break;
      }
      default:
        opts.push(r.pick([2, 3, 5, 8, 19, 28, 29, 34, 254]), r.pick([0, 1, 3, 9, 18, 40]));
    }
  }
  while (opts.length % 4) opts.push(r.chance(0.8) ? 1 : 0);
  return opts.slice(0, 40);
}

function tcpSegment(r, net) {
  const dns = r.chance(0.15);
  const port = () => r.pick(TCP_PORTS);
  const [sport, dport] = dns ? (r.chance(0.5) ? [port(), 53] : [53, port()]) : [port(), port()];
  const options = tcpOptions(r);
  let payload = [];
  if (dns) {
    const msg = dnsMessage(r);
    payload = [...u16(r.chance(0.9) ? msg.length : r.int(65536)), ...msg];
  } else if (r.chance(0.4)) payload = r.bytes(r.range(1, 64));
  const flags = r.chance(0.7) ? r.pick([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x19]) : r.int(256);
  let off = (20 + options.length) / 4;
  if (r.chance(0.05)) off = r.int(16);
  const seq = r.chance(0.5) ? r.pick([1000, 2000, 0xfffffff0]) : r.int(2 ** 32);
  const ack = r.chance(0.5) ? r.pick([5000, 1, 0]) : r.int(2 ** 32);
  const seg = [
    ...u16(sport),
    ...u16(dport),
    ...u32(seq),
    ...u32(ack),
    (off << 4) | (r.chance(0.05) ? r.int(16) : 0),
    flags,
    ...u16(r.pick([64240, 502, 0, r.int(65536)])),
    0,
    0,
    ...u16(flags & 0x20 || r.chance(0.05) ? r.int(65536) : 0),
    ...options,
    ...payload,
  ];
  return fillSum(r, seg, 16, net.pseudo(6, seg.length));
}

function udpDatagram(r, net) {
  const dns = r.chance(0.35);
  const port = () => r.pick(UDP_PORTS);
  const [sport, dport] = dns ? (r.chance(0.5) ? [port(), 53] : [53, port()]) : [port(), port()];
  const payload = dns ? dnsMessage(r) : r.bytes(r.range(0, 48));
  let ulen = 8 + payload.length;
  if (r.chance(0.08)) ulen = r.pick([0, 4, 7, 8, ulen + r.range(1, 20), r.int(65536)]);
  const seg = [...u16(sport), ...u16(dport), ...u16(ulen), 0, 0, ...payload];
  if (!net.v6 && r.chance(0.1)) return seg; // checksum 0: none
  return fillSum(r, seg, 6, net.pseudo(17, seg.length));
}

const ECHO_DATA = Array.from({ length: 56 }, (_, i) => (i + 0x10) & 0xff);

function icmpMessage(r, depth) {
  let type;
  let code = 0;
  let rest;
  switch (r.int(10)) {
    case 0:
    case 1:
      type = r.pick([0, 8]);
      rest = [...u16(r.int(65536)), ...u16(r.int(65536)), ...(r.chance(0.7) ? ECHO_DATA : r.bytes(r.int(32)))];
      break;
    case 2:
      type = 3;
      code = r.chance(0.9) ? r.range(0, 15) : r.int(256);
      rest = [0, 0, ...(code === 4 ? u16(r.pick([1500, 1280, 0])) : [0, 0]), ...quoted4(r, depth)];
      break;
    case 3:
      type = 5;
      code = r.range(0, 4);
      rest = [...addr4(r), ...quoted4(r, depth)];
      break;
    case 4:
      type = 11;
      code = r.range(0, 2);
      rest = [0, 0, 0, 0, ...quoted4(r, depth)];
      break;
    case 5:
      type = 12;
      code = r.range(0, 2);
      rest = [r.int(60), 0, 0, 0, ...quoted4(r, depth)];
      break;
    case 6:
      type = r.pick([13, 14]);
      rest = [...r.bytes(4), ...r.bytes(12)];
      break;
    case 7:
      type = r.pick([4, 15, 16, 17, 18]);
      rest = r.bytes(r.pick([4, 8, 12]));
      break;
    default:
      type = r.int(256);
      code = r.int(4);
      rest = r.bytes(r.int(24));
  }
  if ((type === 3 || type === 11 || type === 12) && r.chance(0.2)) rest = withExtensions(r, rest);
  return fillSum(r, [type, code, 0, 0, ...rest], 2, 0);
}

/**
 * RFC 4884: the quoted datagram padded to 128 bytes, its length in words
 * in the second byte, then an extension structure (version 2, checksum,
 * objects such as MPLS label stack entries).
 */
function withExtensions(r, rest) {
  const head = rest.slice(0, 4);
  const quoted = rest.slice(4, 132);
  while (quoted.length < 128) quoted.push(0);
  head[1] = r.chance(0.7) ? 32 : 0;
  const objects = [];
  const n = r.range(0, 3);
  for (let i = 0; i < n; i++) {
    const cls = r.pick([1, 1, 2, 0, r.int(256)]);
    const body = cls === 1 ? r.bytes(4 * r.range(1, 2)) : r.bytes(r.int(12));
    const len = r.chance(0.9) ? 4 + body.length : r.int(24);
    objects.push(...u16(len), cls, r.pick([1, 1, 2, r.int(256)]), ...body);
  }
  const ext = [r.chance(0.9) ? 0x20 : r.int(256), 0, 0, 0, ...objects];
  const sum = r.chance(0.85) ? cksum(ext) : r.int(65536);
  ext[2] = sum >> 8;
  ext[3] = sum & 0xff;
  return [...head, ...quoted, ...ext];
}

/** The start of a datagram quoted by an ICMP error (at most one level deep). */
function quoted4(r, depth) {
  if (depth > 0 || r.chance(0.1)) return r.bytes(r.int(28));
  const src = addr4(r);
  const dst = addr4(r);
  const inner = { v6: false, pseudo: (p, len) => pseudo4(src, dst, p, len) };
  const proto = r.pick([1, 6, 17, 17, 253]);
  let body;
  if (proto === 1) body = icmpMessage(r, depth + 1);
  else if (proto === 6) body = tcpSegment(r, inner);
  else if (proto === 17) body = udpDatagram(r, inner);
  else body = r.bytes(12);
  const ip = ipv4(proto, src, dst, body, {
    options: r.chance(0.2) ? ipOptions(r) : [],
    id: r.int(65536),
    flags: r.chance(0.5) ? 2 : 0,
  });
  return ip.slice(0, ip.length - body.length + r.pick([8, 8, 8, 0, 4, 16, body.length]));
}

function icmp6Message(r, net, depth) {
  let type;
  let code = 0;
  let rest;
  switch (r.int(12)) {
    case 0:
    case 1:
      type = r.pick([128, 129]);
      rest = [...u16(r.int(65536)), ...u16(r.int(65536)), ...r.bytes(r.int(40))];
      break;
    case 2:
      type = 1;
      code = r.range(0, 8);
      rest = [0, 0, 0, 0, ...quoted6(r, depth)];
      break;
    case 3:
      type = 2;
      rest = [...u32(r.pick([1280, 1500, r.int(2 ** 32)])), ...quoted6(r, depth)];
      break;
    case 4:
      type = 3;
      code = r.range(0, 2);
      rest = [0, 0, 0, 0, ...quoted6(r, depth)];
      break;
    case 5:
      type = 4;
      code = r.range(0, 3);
      rest = [...u32(r.int(64)), ...quoted6(r, depth)];
      break;
    case 6:
      type = 133;
      rest = [0, 0, 0, 0, ...ndOptions(r)];
      break;
    case 7:
      type = 134;
      rest = [r.int(256), r.int(256), ...u16(r.int(65536)), ...r.bytes(8), ...ndOptions(r)];
      break;
    case 8:
      type = 135;
      rest = [0, 0, 0, 0, ...addr6(r), ...ndOptions(r)];
      break;
    case 9:
      type = 136;
      rest = [r.pick([0x60, 0x40, 0x20, 0xe0, 0]), 0, 0, 0, ...addr6(r), ...ndOptions(r)];
      break;
    case 10:
      type = 143;
      rest = [0, 0, ...u16(r.range(0, 3)), ...r.bytes(r.int(2) * 20)];
      break;
    default:
      type = r.int(256);
      // Router renumbering, node information and RPL: outside the printer's scope.
      if (type === 138 || type === 139 || type === 140 || type === 155) type = 200;
      code = r.int(4);
      rest = r.bytes(r.int(24));
  }
  return fillSum(r, [type, code, 0, 0, ...rest], 2, net.pseudo(58, 4 + rest.length));
}

function ndOptions(r) {
  const out = [];
  const n = r.range(0, 3);
  for (let i = 0; i < n; i++) {
    switch (r.int(6)) {
      case 0:
      case 1:
        out.push(r.pick([1, 2]), 1, ...r.pick(MACS));
        break;
      case 2:
        out.push(3, 4, r.range(0, 128), r.pick([0xc0, 0x80, 0x40, 0]), ...r.bytes(12), ...addr6(r));
        break;
      case 3:
        out.push(5, 1, 0, 0, ...u32(r.pick([1500, 1280])));
        break;
      case 4: {
        const len = r.range(1, 2);
        out.push(r.pick([4, 6, 7, 8, 24, 25, 31, 99]), len, ...r.bytes(len * 8 - 2));
        break;
      }
      default:
        out.push(r.int(256), r.pick([0, 1, 3]));
    }
  }
  return out;
}

function quoted6(r, depth) {
  if (depth > 0 || r.chance(0.1)) return r.bytes(r.int(48));
  const src = addr6(r);
  const dst = addr6(r);
  const inner = { v6: true, pseudo: (p, len) => pseudo6(src, dst, p, len) };
  const nh = r.pick([6, 17, 58, 253]);
  const body =
    nh === 6 ? tcpSegment(r, inner) : nh === 17 ? udpDatagram(r, inner) : nh === 58 ? icmp6Message(r, inner, 1) : [];
  const ip = ipv6(nh, src, dst, body);
  return ip.slice(0, ip.length - body.length + r.pick([8, 8, 0, 4, body.length]));
}

// ---------------------------------------------------------------- DNS

function dnsName(r) {
  const names = [["example", "com"], ["a"], [], ["www", "example", "org"], ["x".repeat(20), "test"]];
  const labels = r.pick(names);
  return [...labels.flatMap((l) => [l.length, ...Array.from(l, (ch) => ch.charCodeAt(0))]), 0];
}

function rdata(r, type) {
  switch (type) {
    case 1:
      return addr4(r);
    case 28:
      return addr6(r);
    case 2:
    case 5:
    case 12:
      return r.chance(0.5) ? [0xc0, 12] : dnsName(r);
    case 15:
      return [...u16(10), ...dnsName(r)];
    case 16: {
      const s = r.bytes(r.int(12)).map((b) => 32 + (b % 90));
      return [s.length, ...s];
    }
    case 33:
      return [...u16(1), ...u16(5), ...u16(5060), ...dnsName(r)];
    case 6:
      return [...dnsName(r), ...dnsName(r), ...r.bytes(20)];
    case 39:
      return dnsName(r);
    case 38: {
      const plen = r.pick([0, 64, 120, 128, 129]);
      return [plen, ...r.bytes(plen >= 128 ? 0 : 16 - Math.floor(plen / 8)), ...(plen > 0 ? dnsName(r) : [])];
    }
    case 256:
      return [...u16(r.int(100)), ...u16(r.int(100)), ...Array.from("https://x", (ch) => ch.charCodeAt(0))];
    case 250:
      return [...dnsName(r), ...r.bytes(6), ...u16(300), ...u16(4), ...r.bytes(4), ...u16(r.int(65536)), 0, 0, 0, 0];
    case 104:
      return r.bytes(r.int(10)).map((b) => 32 + (b % 90));
    default:
      return r.bytes(r.int(10));
  }
}

function dnsMessage(r) {
  const id = r.int(65536);
  const response = r.chance(0.5);
  const flags1 = (response ? 0x80 : 0) | (r.chance(0.9) ? 0 : r.int(16) << 3) | (r.chance(0.5) ? 1 : 0);
  const flags2 = (response && r.chance(0.5) ? 0x80 : 0) | (r.chance(0.85) ? 0 : r.int(16));
  const types = [1, 28, 5, 2, 12, 15, 16, 33, 6, 99, 39, 38, 256, 250, 104, 103, r.int(300)];
  const qtype = r.pick(types);
  const question = [...dnsName(r), ...u16(qtype), ...u16(1)];
  const answers = [];
  const an = response ? r.range(0, 3) : 0;
  for (let i = 0; i < an; i++) {
    const type = r.chance(0.6) ? qtype : r.pick(types);
    const data = rdata(r, type);
    answers.push(
      ...(r.chance(0.6) ? [0xc0, 12] : dnsName(r)),
      ...u16(type),
      ...u16(r.chance(0.9) ? 1 : r.pick([3, 4, 254, 255, r.int(65536)])),
      ...u32(r.int(86400)),
      ...u16(data.length),
      ...data,
    );
  }
  const authority = [];
  const ns = response && r.chance(0.3) ? r.range(1, 2) : 0;
  for (let i = 0; i < ns; i++) {
    const type = r.pick([2, 6, 1, 28, 99]);
    const data = rdata(r, type);
    authority.push(...dnsName(r), ...u16(type), ...u16(r.chance(0.9) ? 1 : r.int(300)), ...u32(r.int(86400)));
    authority.push(...u16(data.length), ...data);
  }
  const ednsOptions = [];
  for (let i = r.int(3); i > 0; i--) {
    // Not 13 (CHAIN): tcpdump reads its name relative to the option's end.
    const code = r.pick([1, 2, 3, 5, 6, 7, 8, 8, 9, 10, 10, 11, 12, 14, 15, 16, 17]);
    let data = r.bytes(r.pick([0, 2, 4, 8, 16, 7]));
    if (code === 8 && r.chance(0.7)) {
      const v6 = r.chance(0.5);
      const src = r.int(v6 ? 129 : 33);
      data = [0, v6 ? 2 : 1, src, r.int(src + 1), ...r.bytes(Math.ceil(src / 8))];
    }
    ednsOptions.push(...u16(code), ...u16(data.length), ...data);
  }
  const edns = r.chance(0.2)
    ? [0, ...u16(41), ...u16(1232), 0, 0, r.chance(0.5) ? 0x80 : 0, 0, ...u16(ednsOptions.length), ...ednsOptions]
    : [];
  const qd = r.chance(0.95) ? 1 : r.int(3);
  return [
    ...u16(id),
    flags1,
    flags2,
    ...u16(qd),
    ...u16(an),
    ...u16(ns),
    ...u16(edns.length ? 1 : 0),
    ...question,
    ...answers,
    ...authority,
    ...edns,
  ];
}

// ---------------------------------------------------------------- networks

function v4Datagram(r, depth = 0) {
  const src = addr4(r);
  const dst = addr4(r);
  const net = { v6: false, pseudo: (p, len) => pseudo4(src, dst, p, len) };
  const proto = r.weighted([
    [5, 1],
    [5, 6],
    [5, 17],
    [depth === 0 ? 1 : 0, 4],
    [depth === 0 ? 1 : 0, 41],
    [1, 59],
    [1, r.pick([253, 254, 0, 114, 255])],
  ]);
  let payload;
  if (proto === 1) payload = icmpMessage(r, 0);
  else if (proto === 6) payload = tcpSegment(r, net);
  else if (proto === 17) payload = udpDatagram(r, net);
  else if (proto === 4) payload = v4Datagram(r, depth + 1);
  else if (proto === 41) payload = v6Datagram(r, depth + 1);
  else payload = r.bytes(r.int(32));
  const o = {
    id: r.int(65536),
    ttl: r.pick([64, 1, 0, 255, 128]),
    tos: r.chance(0.8) ? 0 : r.int(256),
    flags: r.weighted([
      [6, 2],
      [3, 0],
      [1, r.int(8)],
    ]),
    options: r.chance(0.45) ? ipOptions(r) : [],
  };
  if (r.chance(0.06)) {
    o.offset = r.range(1, 8191);
  } else if (r.chance(0.04)) o.flags |= 1;
  if (r.chance(0.05)) o.sum = r.int(65536);
  if (r.chance(0.05)) o.totalLength = r.pick([0, 19, 20, 24, 40, r.int(65536)]);
  if (r.chance(0.03)) o.hl = r.int(16);
  return ipv4(proto, src, dst, payload, o);
}

function extHeader(r, nh) {
  const len = r.range(0, 2);
  const body = [];
  const want = 6 + len * 8;
  while (body.length < want) {
    const left = want - body.length;
    const k = r.int(6);
    if (k === 0 || left < 2) body.push(0);
    else if (k === 1 && left >= 4) body.push(5, 2, ...r.bytes(2));
    else if (k === 2) body.push(1, left - 2, ...Array(left - 2).fill(0));
    else {
      const l = r.range(0, left - 2);
      body.push(r.pick([0xc2, 0x04, 0x07, 0x3e, r.int(256)]), l, ...r.bytes(l));
    }
  }
  return [nh, len, ...body.slice(0, want)];
}

function v6Datagram(r, depth = 0) {
  const src = addr6(r);
  const dst = addr6(r);
  let nh = r.weighted([
    [4, 58],
    [4, 6],
    [4, 17],
    [depth === 0 ? 1 : 0, 4],
    [1, 59],
    [1, r.pick([253, 254])],
  ]);
  // Extension headers, innermost first.
  const chain = [];
  const exts = r.weighted([
    [6, 0],
    [2, 1],
    [1, 2],
  ]);
  for (let i = 0; i < exts; i++) chain.push(r.pick([0, 60, 43, 44]));
  const routing = chain.includes(43) && r.chance(0.6);
  const finalDst = routing ? addr6(r) : dst;
  const tnet = { v6: true, pseudo: (p, len) => pseudo6(src, finalDst, p, len) };
  let payload;
  if (nh === 58) payload = icmp6Message(r, tnet, 0);
  else if (nh === 6) payload = tcpSegment(r, tnet);
  else if (nh === 17) payload = udpDatagram(r, tnet);
  else if (nh === 4) payload = v4Datagram(r, depth + 1);
  else payload = r.bytes(r.int(32));
  // A Jumbo Payload option (RFC 2675) in a hop-by-hop header, payload length 0.
  const jumbo = chain.length === 0 && r.chance(0.04);
  for (const ext of chain.reverse()) {
    let hdr;
    if (ext === 0 || ext === 60) hdr = extHeader(r, nh);
    else if (ext === 44) {
      const off = r.chance(0.7) ? 0 : r.range(1, 8191);
      hdr = [nh, 0, ...u16((off << 3) | (r.chance(0.5) ? 1 : 0)), ...r.bytes(4)];
    } else {
      const type = r.pick([0, 2, 2, 4, 3]);
      const addrs = type === 2 ? 1 : r.range(1, 2);
      const list = [];
      for (let i = 0; i < addrs - 1; i++) list.push(...addr6(r));
      list.push(...finalDst);
      hdr = [nh, addrs * 2, type, r.range(0, addrs), 0, 0, 0, 0, ...list];
    }
    nh = ext;
    payload = [...hdr, ...payload];
  }
  const o = {
    hlim: r.pick([64, 255, 1, 0]),
    flow: r.chance(0.8) ? 0 : r.int(2 ** 28),
  };
  if (jumbo) {
    const length = r.pick([payload.length + 8, 65536 + r.int(100), 70000, r.int(2 ** 32)]);
    payload = [nh, 0, 0xc2, r.chance(0.9) ? 4 : r.int(8), ...u32(length), ...payload];
    nh = 0;
    o.plen = 0;
  }
  if (r.chance(0.05)) o.plen = r.pick([0, 8, payload.length + 8, r.int(65536)]);
  return ipv6(nh, src, dst, payload, o);
}

function arpPacket(r) {
  const op = r.weighted([
    [4, 1],
    [4, 2],
    [1, r.pick([3, 4, 8, 9, 10, r.int(16)])],
  ]);
  if (r.chance(0.85)) {
    return [
      0,
      1,
      8,
      0,
      6,
      4,
      ...u16(op),
      ...r.pick(MACS),
      ...addr4(r),
      ...(r.chance(0.7) ? [0, 0, 0, 0, 0, 0] : r.pick(MACS)),
      ...addr4(r),
    ];
  }
  const hln = r.pick([0, 6, 8, 2]);
  const pln = r.pick([4, 4, 16, 0]);
  const pro = r.pick([0x0800, 0x86dd, 0x1000, r.int(65536)]);
  // Not 15 (Frame Relay: Q.922 addresses) or 19 (ATM ARP): outside the printer's scope.
  let hrd = r.pick([1, 6, 7, 23, 24, 32, 40, r.int(65536)]);
  if (hrd === 15 || hrd === 19) hrd = 1;
  return [...u16(hrd), ...u16(pro), hln, pln, ...u16(op), ...r.bytes(2 * (hln + pln))];
}

// ---------------------------------------------------------------- frames

/**
 * Ethertypes that tcpdump prints as unknown (a hex dump), as the printer
 * does. 802.3/LLC frames and the ethertypes tcpdump decodes but the printer
 * does not (LLDP, MPLS, PPPoE, loopback …) are outside the printer's scope.
 */
const OTHER_ETHERTYPES = [0x88b5, 0x88b6, 0x1234, 0xbeef, 0x0801, 0x9999];

/** Ethernet header with optional 802.1Q / QinQ tags. */
function etherFrame(r, type, payload) {
  const tags = [];
  if (r.chance(0.1)) {
    const n = r.range(1, 2);
    for (let i = 0; i < n; i++) {
      tags.push(...u16(n === 2 && i === 0 ? r.pick([0x88a8, 0x9100]) : 0x8100));
      tags.push(...u16(r.int(65536)));
    }
  }
  return [...r.pick(MACS.slice(0, 2)), ...r.pick(MACS), ...tags, ...u16(type), ...payload];
}

function baseFrame(r) {
  const kind = r.weighted([
    [40, "ip"],
    [22, "ip6"],
    [5, "arp"],
    [4, "ip6-in-0800"],
    [2, "ip-in-86dd"],
    [2, "other-version"],
    [2, "ethertype"],
    [1, "runt"],
  ]);
  switch (kind) {
    case "ip":
      return etherFrame(r, 0x0800, v4Datagram(r));
    case "ip6":
      return etherFrame(r, 0x86dd, v6Datagram(r));
    case "arp":
      return etherFrame(r, r.chance(0.9) ? 0x0806 : 0x8035, arpPacket(r));
    case "ip6-in-0800":
      return etherFrame(r, 0x0800, v6Datagram(r));
    case "ip-in-86dd":
      return etherFrame(r, 0x86dd, v4Datagram(r));
    case "other-version": {
      const d = r.chance(0.5) ? v4Datagram(r) : v6Datagram(r);
      d[0] = (r.int(16) << 4) | (d[0] & 0xf);
      return etherFrame(r, r.pick([0x0800, 0x86dd]), d);
    }
    case "ethertype":
      return etherFrame(r, r.pick(OTHER_ETHERTYPES), r.bytes(r.range(0, 60)));
    default:
      return r.bytes(r.int(14));
  }
}

// ---------------------------------------------------------------- scope

/** IP protocols the generator makes; a mutation that lands elsewhere is undone. */
const SCOPE_PROTOS = new Set([0, 1, 4, 6, 17, 41, 58, 59, 114, 253, 254, 255]);
const SCOPE_PORTS = new Set([...TCP_PORTS, ...UDP_PORTS, 53]);

const be16 = (d, at) => (d[at] << 8) | d[at + 1];

/**
 * Whether every protocol and port tcpdump would decode in `d` is one the
 * printer decodes too (mutations can turn a port into a well-known one, a
 * next header into a mobility header, a quoted datagram into GRE …).
 */
function inScope(d) {
  let at = 12;
  while (at + 2 <= d.length && [0x8100, 0x88a8, 0x9100].includes(be16(d, at))) at += 4;
  if (at + 2 > d.length) return true;
  const type = be16(d, at);
  if (![0x0800, 0x86dd, 0x0806, 0x8035, ...OTHER_ETHERTYPES].includes(type)) return false;
  // ARP over Frame Relay (Q.922 addresses) and ATM ARP are outside the scope.
  if ((type === 0x0806 || type === 0x8035) && at + 4 <= d.length) return ![15, 19].includes(be16(d, at + 2));
  return type === 0x0800 || type === 0x86dd ? ipInScope(d, at + 2, 0) : true;
}

function ipInScope(d, p, depth) {
  if (p >= d.length || depth > 3) return true;
  const version = d[p] >> 4;
  if (version === 4) {
    if (p + 20 > d.length) return true;
    if ((be16(d, p + 6) & 0x1fff) !== 0) return true;
    return l4InScope(d, p + (d[p] & 0xf) * 4, d[p + 9], depth);
  }
  if (version !== 6 || p + 40 > d.length) return true;
  let nh = d[p + 6];
  let q = p + 40;
  while (nh === 0 || nh === 60 || nh === 43 || nh === 44) {
    if (q + 4 > d.length) return true;
    if (nh === 44 && (be16(d, q + 2) & 0xfff8) !== 0) return true;
    const len = nh === 44 ? 8 : (d[q + 1] + 1) * 8;
    nh = d[q];
    q += len;
  }
  return l4InScope(d, q, nh, depth);
}

/** The data length tcpdump assumes for the TCP options of a fixed size. */
const TCP_OPTION_DATA = { 2: 2, 3: 1, 6: 4, 7: 4, 8: 8, 11: 4, 12: 4, 13: 4, 19: 16, 20: 2, 28: 2 };

/** No MPTCP option (its contents are not decoded), walking the options as tcpdump does. */
function tcpOptionsInScope(d, q) {
  if (q + 13 > d.length) return true;
  const end = Math.min(d.length, q + (d[q + 12] >> 4) * 4);
  for (let i = q + 20; i < end; ) {
    const kind = d[i];
    if (kind === 0) break;
    if (kind === 30) return false;
    if (kind === 1) i++;
    else if (i + 1 >= end || d[i + 1] < 2) break;
    else i += 2 + (TCP_OPTION_DATA[kind] ?? d[i + 1] - 2);
  }
  return true;
}

function l4InScope(d, q, proto, depth) {
  if (!SCOPE_PROTOS.has(proto)) return false;
  if (proto === 6 || proto === 17) {
    if (q + 4 <= d.length && !(SCOPE_PORTS.has(be16(d, q)) && SCOPE_PORTS.has(be16(d, q + 2)))) return false;
    return proto === 17 || tcpOptionsInScope(d, q);
  }
  if (proto === 4 || proto === 41) return ipInScope(d, q, depth + 1);
  // Router renumbering, node information and RPL: not decoded.
  if (proto === 58 && q < d.length && [138, 139, 140, 155].includes(d[q])) return false;
  // ICMP errors quote a datagram that tcpdump prints at -v.
  if (proto === 1 && q < d.length && [3, 4, 5, 11, 12].includes(d[q])) return ipInScope(d, q + 8, depth + 1);
  return true;
}

/**
 * One frame: { data, origlen }. Mutations: a byte changed in the first 80
 * bytes (headers), a cut anywhere (a short snap length), a longer origlen.
 */
function frame(r) {
  let data = baseFrame(r);
  while (!inScope(data)) data = baseFrame(r);
  const built = data.slice();
  // Mutations stay after the link header: an ethertype below 0x600 would
  // make an 802.3 frame, which is out of scope.
  let l2 = 14;
  while (l2 + 4 <= data.length && [0x8100, 0x88a8, 0x9100].includes((data[l2 - 2] << 8) | data[l2 - 1])) l2 += 4;
  if (r.chance(0.12) && data.length > l2) {
    const n = r.range(1, 3);
    for (let i = 0; i < n; i++) {
      const at = l2 + r.int(Math.min(data.length, 90) - l2);
      data[at] = r.chance(0.5) ? r.int(256) : r.pick([0, 0xff, 0x80, 0x7f, 1]);
    }
    if (!inScope(data)) data = built;
  }
  let origlen = data.length;
  let bytes = data;
  if (r.chance(0.25)) {
    bytes = data.slice(0, r.int(data.length + 1));
    if (r.chance(0.5)) origlen = bytes.length;
  }
  if (r.chance(0.05)) origlen += r.range(1, 1000);
  return { data: Uint8Array.from(bytes), origlen: Math.max(origlen, bytes.length) };
}

/** `count` frames for `seed`, deterministic. */
export function generate(seed, count) {
  const r = new Rand(seed);
  const out = [];
  for (let i = 0; i < count; i++) out.push(frame(r));
  return out;
}
