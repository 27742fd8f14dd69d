// The state of one packet being printed, and the bounds-checked fetches every
// protocol printer uses. Packets are network byte order.
//
// Like tcpdump, a fetch past the captured bytes abandons the packet: it throws
// TRUNCATED, and the top level ends the line with ` [|proto]`, where proto is
// the name the innermost printer set on entry.

/** Thrown by a fetch past the end of the captured data. */
export const TRUNCATED: unique symbol = Symbol("truncated");

export interface PrintFlags {
  /** -v count, 0..3. */
  verbose: number;
  /** -e: print the link-level header. */
  ether: boolean;
  /** -x/-X given: no default hex dump of unknown payloads. */
  suppressDefault: boolean;
}

/** TCP conversations seen, for relative sequence numbers (tcpdump without -S). */
export interface TcpSeqEntry {
  seq: number;
  ack: number;
}

/** What the transport printers need to know about the IP header in front of them. */
export class IpInfo {
  v6 = false;
  /** Offset of the IP header. */
  hdr = 0;
  /** The protocol being demultiplexed (after any IPv6 extension headers). */
  nh = 0;
  /** Protocol / next header field of the fixed header. */
  hdrNh = 0;
  /** IPv6: offset of the final destination address (the last routing header hop, or the header's). */
  dst6 = 0;
  /** More fragments follow (IPv4 MF, or an IPv6 fragment header). */
  fragmented = false;

  set(v6: boolean, hdr: number, nh: number, hdrNh: number, dst6: number, fragmented: boolean): this {
    this.v6 = v6;
    this.hdr = hdr;
    this.nh = nh;
    this.hdrNh = hdrNh;
    this.dst6 = dst6;
    this.fragmented = fragmented;
    return this;
  }
}

/**
 * Text written many times, made once (see {@link text}): element 0 is its
 * length, then its characters four to an element, the first in the low byte.
 * Writing it is one 32-bit store per four characters.
 */
export type Text = Int32Array;

/** The {@link Text} of `s` (Latin-1 characters). */
export function text(s: string): Text {
  const n = s.length;
  const t = new Int32Array(1 + ((n + 3) >> 2));
  t[0] = n;
  for (let i = 0; i < n; i++) t[1 + (i >> 2)]! |= (s.charCodeAt(i) & 0xff) << ((i & 3) * 8);
  return t;
}

/** Text that many printers write. */
export const T_TO: Text = text(" > ");
export const T_COLON: Text = text(": ");
export const T_SEQ: Text = text(", seq ");
export const T_LENGTH: Text = text(", length ");

// The tables below are made with integer arithmetic only: a string per entry
// would cost milliseconds of start-up and garbage collection.

/** "00".."99" as two-character words (the first character in the low byte). */
const PAIR = new Uint16Array(100);
for (let i = 0; i < 100; i++) PAIR[i] = (48 + ((i / 10) | 0)) | ((48 + (i % 10)) << 8);

/** 0..9999 zero-padded to four digits (PADDED), and plain (DIGITS, DIGITS_LEN characters). */
const PADDED = new Int32Array(10000);
const DIGITS = new Int32Array(10000);
const DIGITS_LEN = new Uint8Array(10000);
for (let hi = 0, i = 0; hi < 100; hi++) {
  for (let lo = 0; lo < 100; lo++, i++) PADDED[i] = PAIR[hi]! | (PAIR[lo]! << 16);
}
for (let i = 0; i < 10000; i++) {
  const len = i < 10 ? 1 : i < 100 ? 2 : i < 1000 ? 3 : 4;
  DIGITS[i] = PADDED[i]! >>> ((4 - len) * 8);
  DIGITS_LEN[i] = len;
}

/** 0..255 followed by a dot (an IPv4 address byte), and its length with the dot. */
const OCTET = new Int32Array(256);
const OCTET_LEN = new Uint8Array(256);
const HEX_DIGIT = Uint8Array.from("0123456789abcdef", (ch) => ch.charCodeAt(0));
/** 0..255 as two lowercase hex digits. */
const HEX_PAIR = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  OCTET_LEN[i] = DIGITS_LEN[i]! + 1;
  OCTET[i] = DIGITS[i]! | (46 << (DIGITS_LEN[i]! * 8));
  HEX_PAIR[i] = HEX_DIGIT[i >> 4]! | (HEX_DIGIT[i & 15]! << 8);
}

/** 10^(4k) for k = 0..3 (the groups of {@link Ctx.numPad}). */
const POW10K = [1, 1e4, 1e8, 1e12];

/** Bytes kept free after the text: word stores may write up to 3 bytes past their end. */
const SLACK = 8;

export class Ctx {
  /** The text being printed, as ASCII bytes: `buf[0, pos)`. */
  buf: Buffer = Buffer.allocUnsafe(1 << 16);
  /** A view of `buf` for word stores. */
  dv: DataView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  pos = 0;
  data: Uint8Array = new Uint8Array(0);
  /** A view of `data` for word loads. */
  ddv: DataView = new DataView(this.data.buffer);
  /** One past the last byte that may be read (tcpdump's snapend). */
  end = 0;
  proto = "";
  /** A fetch ran past the capture (tcpdump's longjmp): -x/-X then dump the whole frame. */
  jumped = false;
  verbose = 0;
  eflag = false;
  suppressDefault = false;
  /** -q: less protocol detail (`tcp N`, `UDP, length N`, ethertype names only). */
  quiet = false;
  /** -S: absolute TCP sequence numbers. */
  absoluteSeq = false;
  /** IPv4 conversations: lower address → higher address → ports → numbers. */
  readonly tcpSeq = new Map<number, Map<number, Map<number, TcpSeqEntry>>>();
  /** The IPv4 address pair looked up last, and its conversations. */
  readonly tcpLast: { a: number; b: number; inner: Map<number, TcpSeqEntry> | undefined } = {
    a: 0,
    b: 0,
    inner: undefined,
  };
  /** IPv6 conversations: both addresses → ports → numbers. */
  readonly tcpSeq6 = new Map<string, Map<number, TcpSeqEntry>>();

  /** Points the fetches at `data` (the view is made again only when the buffer changes). */
  setData(data: Uint8Array): void {
    if (data === this.data) return;
    this.data = data;
    this.ddv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * The Internet checksum's running sum over `len` bytes at `off` of the
   * packet, continuing from `initial`; the caller has checked that they were
   * captured. Fold it with {@link finishSum}.
   */
  sum(off: number, len: number, initial = 0): number {
    const dv = this.ddv;
    let sum = initial;
    let i = off;
    const end = off + len;
    // Two 16-bit words a step; the sum stays far below 2^53 for any IP length.
    for (; i + 3 < end; i += 4) {
      const w = dv.getUint32(i);
      sum += (w >>> 16) + (w & 0xffff);
    }
    if (i + 1 < end) {
      sum += dv.getUint16(i);
      i += 2;
    }
    if (i < end) sum += dv.getUint8(i) << 8;
    while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
    return sum;
  }

  /** One IpInfo per IP header nesting level of the packet being printed, reused. */
  readonly #ipInfos: IpInfo[] = [];
  /** IP headers entered in the packet being printed (reset per packet). */
  ipDepth = 0;

  /** The IpInfo of the next nesting level (an IP header quoted or tunnelled in the one before). */
  ipInfo(): IpInfo {
    let ip = this.#ipInfos[this.ipDepth];
    if (ip === undefined) {
      ip = new IpInfo();
      this.#ipInfos.push(ip);
    }
    this.ipDepth++;
    return ip;
  }

  /** Makes room for `n` more output bytes (and the slack after them). */
  room(n: number): void {
    if (this.pos + n + SLACK <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + SLACK));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
    this.dv = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }

  /** Appends ASCII text (made per packet; constant text goes through {@link t}). */
  w(s: string): void {
    const n = s.length;
    const p = this.pos;
    if (p + n + SLACK > this.buf.length) this.room(n);
    if (n > 64) {
      this.pos = p + this.buf.write(s, p, "latin1");
      return;
    }
    const b = this.buf;
    for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
    this.pos = p + n;
  }

  /** Appends text made once. */
  t(text: Text): void {
    const n = text[0]!;
    const p = this.pos;
    if (p + n + SLACK > this.buf.length) this.room(n);
    const dv = this.dv;
    for (let i = 0, k = 1; i < n; i += 4, k++) dv.setInt32(p + i, text[k]!, true);
    this.pos = p + n;
  }

  /** Appends one character, by its code. */
  ch(code: number): void {
    if (this.pos + 1 + SLACK > this.buf.length) this.room(1);
    this.buf[this.pos++] = code;
  }

  /** Appends a non-negative integer in decimal. */
  num(v: number): void {
    if (this.pos + 24 + SLACK > this.buf.length) this.room(24);
    const dv = this.dv;
    let p = this.pos;
    if (v >>> 0 === v) {
      if (v < 10000) {
        dv.setInt32(p, DIGITS[v]!, true);
        this.pos = p + DIGITS_LEN[v]!;
        return;
      }
      if (v < 1e8) {
        const hi = Math.floor(v / 10000);
        dv.setInt32(p, DIGITS[hi]!, true);
        p += DIGITS_LEN[hi]!;
        dv.setInt32(p, PADDED[v - hi * 10000]!, true);
        this.pos = p + 4;
        return;
      }
    }
    if (v >= 1e8 && v < 1e16 && Number.isInteger(v)) {
      const hi = Math.floor(v / 1e8);
      this.num(hi);
      this.numPad(v - hi * 1e8, 8);
      return;
    }
    this.w(String(v));
  }

  /** Appends `v` (0..999999) as six digits, zero-padded, and a space: a timestamp's microseconds. */
  micros(v: number): void {
    if (!(v >= 0 && v < 1e6 && v >>> 0 === v)) {
      this.numPad(v, 6);
      this.ch(32);
      return;
    }
    if (this.pos + 7 + SLACK > this.buf.length) this.room(7);
    const dv = this.dv;
    const p = this.pos;
    const hi = Math.floor(v / 10000);
    dv.setUint16(p, PADDED[hi]! >>> 16, true);
    dv.setInt32(p + 2, PADDED[v - hi * 10000]!, true);
    this.buf[p + 6] = 32;
    this.pos = p + 7;
  }

  /** Appends a non-negative integer in decimal, zero-padded to `width` (at most 16) digits. */
  numPad(v: number, width: number): void {
    if (this.pos + width + SLACK > this.buf.length) this.room(width);
    if (!(v >= 0 && v < 10 ** width && Number.isInteger(v))) {
      const s = String(v);
      for (let i = s.length; i < width; i++) this.ch(48);
      this.w(s);
      return;
    }
    const dv = this.dv;
    let p = this.pos;
    let groups = width >> 2;
    const lead = width & 3;
    let div = POW10K[groups]!;
    let rest = v;
    if (lead !== 0) {
      const q = Math.floor(rest / div);
      // The last `lead` characters of the padded group.
      dv.setInt32(p, PADDED[q]! >>> ((4 - lead) * 8), true);
      p += lead;
      rest -= q * div;
    }
    while (groups-- > 0) {
      div = POW10K[groups]!;
      const q = Math.floor(rest / div);
      dv.setInt32(p, PADDED[q]!, true);
      p += 4;
      rest -= q * div;
    }
    this.pos = p;
  }

  /** Appends the IPv4 address at `off` of the packet. */
  ip4w(off: number): void {
    if (off + 4 > this.end) throw TRUNCATED;
    if (this.pos + 16 + SLACK > this.buf.length) this.room(16);
    const d = this.data;
    const dv = this.dv;
    let p = this.pos;
    let b = d[off]!;
    dv.setInt32(p, OCTET[b]!, true);
    p += OCTET_LEN[b]!;
    b = d[off + 1]!;
    dv.setInt32(p, OCTET[b]!, true);
    p += OCTET_LEN[b]!;
    b = d[off + 2]!;
    dv.setInt32(p, OCTET[b]!, true);
    p += OCTET_LEN[b]!;
    b = d[off + 3]!;
    dv.setInt32(p, OCTET[b]!, true);
    this.pos = p + OCTET_LEN[b]! - 1;
  }

  /** Appends `v` (0..0xffff) as four lowercase hex digits. */
  hex4(v: number): void {
    if (this.pos + 4 + SLACK > this.buf.length) this.room(4);
    this.dv.setUint16(this.pos, HEX_PAIR[(v >> 8) & 0xff]!, true);
    this.dv.setUint16(this.pos + 2, HEX_PAIR[v & 0xff]!, true);
    this.pos += 4;
  }

  /** Appends `v` (0..0xffff) in hex without leading zeros (one group of an IPv6 address). */
  hex(v: number): void {
    if (this.pos + 4 + SLACK > this.buf.length) this.room(4);
    const b = this.buf;
    let p = this.pos;
    if (v >= 0x1000) b[p++] = HEX_DIGIT[(v >> 12) & 15]!;
    if (v >= 0x100) b[p++] = HEX_DIGIT[(v >> 8) & 15]!;
    if (v >= 0x10) b[p++] = HEX_DIGIT[(v >> 4) & 15]!;
    b[p++] = HEX_DIGIT[v & 15]!;
    this.pos = p;
  }

  /** Appends the `len`-byte hardware address at `off`, as `xx:xx:...`. */
  macw(off: number, len = 6): void {
    this.check(off, len);
    if (len === 0) return;
    if (this.pos + 3 * len + SLACK > this.buf.length) this.room(3 * len);
    const d = this.data;
    const dv = this.dv;
    let p = this.pos;
    for (let i = 0; i < len; i++) {
      // The colon after each pair; the last one is overwritten or left past the end.
      dv.setUint32(p, HEX_PAIR[d[off + i]!]! | (58 << 16), true);
      p += 3;
    }
    this.pos = p - 1;
  }

  /** Appends the IPv6 address at `off` as inet_ntop writes it. */
  ip6w(off: number): void {
    this.check(off, 16);
    const d = this.data;
    // The longest run of two or more zero groups (the first of equals) becomes "::".
    let bestBase = -1;
    let bestLen = 0;
    let curBase = -1;
    let curLen = 0;
    for (let i = 0; i < 8; i++) {
      if (d[off + 2 * i] === 0 && d[off + 2 * i + 1] === 0) {
        if (curBase < 0) {
          curBase = i;
          curLen = 1;
        } else curLen++;
        if (curLen > bestLen) {
          bestBase = curBase;
          bestLen = curLen;
        }
      } else curBase = -1;
    }
    if (bestLen < 2) bestBase = -1;
    for (let i = 0; i < 8; i++) {
      if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
        if (i === bestBase) this.ch(58);
        continue;
      }
      if (i !== 0) this.ch(58);
      if (
        i === 6 &&
        bestBase === 0 &&
        (bestLen === 6 || (bestLen === 5 && d[off + 10] === 0xff && d[off + 11] === 0xff))
      ) {
        this.ip4w(off + 12);
        return;
      }
      this.hex((d[off + 2 * i]! << 8) | d[off + 2 * i + 1]!);
    }
    if (bestBase >= 0 && bestBase + bestLen === 8) this.ch(58);
  }

  u8(off: number): number {
    if (off >= this.end) throw TRUNCATED;
    return this.data[off]!;
  }

  be16(off: number): number {
    if (off + 2 > this.end) throw TRUNCATED;
    const d = this.data;
    return (d[off]! << 8) | d[off + 1]!;
  }

  be32(off: number): number {
    if (off + 4 > this.end) throw TRUNCATED;
    const d = this.data;
    return ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0;
  }

  /** True when `len` bytes from `off` were captured. */
  has(off: number, len: number): boolean {
    return len >= 0 && off + len <= this.end;
  }

  check(off: number, len: number): void {
    if (off + len > this.end || len < 0) throw TRUNCATED;
  }

  ip4(off: number): string {
    if (off + 4 > this.end) throw TRUNCATED;
    const d = this.data;
    return `${d[off]}.${d[off + 1]}.${d[off + 2]}.${d[off + 3]}`;
  }

  ip6(off: number): string {
    this.check(off, 16);
    return formatIp6(this.data, off);
  }

  mac(off: number, len = 6): string {
    this.check(off, len);
    let s = "";
    for (let i = 0; i < len; i++) s += (i ? ":" : "") + HEX2[this.data[off + i]!];
    return s;
  }

  /** Runs `fn` with the readable end lowered to `end` (tcpdump's nd_push_snaplen). */
  withEnd<T>(end: number, fn: () => T): T {
    const saved = this.end;
    if (end < this.end) this.end = end;
    try {
      return fn();
    } finally {
      this.end = saved;
    }
  }
}

export const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

let scratch: Ctx | undefined;

/** IPv6 text form as inet_ntop writes it (RFC 5952 zero compression, embedded IPv4). */
export function formatIp6(d: Uint8Array, off: number): string {
  if (scratch === undefined) scratch = new Ctx();
  const c = scratch;
  c.setData(d);
  c.end = off + 16;
  c.pos = 0;
  c.ip6w(off);
  return c.buf.toString("latin1", 0, c.pos);
}

/** tcpdump's bittok2str: names of set bits joined by `sep`, or `none`. */
export function bitNames(
  table: readonly (readonly [number, string])[],
  none: string,
  value: number,
  sep = ", ",
): string {
  let s = "";
  let any = false;
  for (const [bit, name] of table) {
    if ((value & bit) >>> 0 === bit >>> 0 && bit !== 0) {
      s += any ? sep + name : name;
      any = true;
    }
  }
  return any ? s : none;
}

/** Folds a partial sum into the checksum result (0 when the data verifies). */
export function finishSum(sum: number): number {
  return ~sum & 0xffff;
}

/** tcpdump's in_cksum_shouldbe: the checksum field value that would have verified. */
export function shouldBe(field: number, computed: number): number {
  let s = field + computed;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s & 0xffff;
}
