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

/** The decimal digits of 0..255, as byte sequences (for addresses). */
const DEC_BYTES: number[][] = Array.from({ length: 256 }, (_, i) => [...String(i)].map((ch) => ch.charCodeAt(0)));

export class Ctx {
  /** The text being printed, as ASCII bytes: `buf[0, pos)`. */
  buf: Buffer = Buffer.allocUnsafe(1 << 16);
  pos = 0;
  data: Uint8Array = new Uint8Array(0);
  /** One past the last byte that may be read (tcpdump's snapend). */
  end = 0;
  proto = "";
  /** A fetch ran past the capture (tcpdump's longjmp): -x/-X then dump the whole frame. */
  jumped = false;
  verbose = 0;
  eflag = false;
  suppressDefault = false;
  /** IPv4 conversations: lower address → higher address → ports → numbers. */
  readonly tcpSeq = new Map<number, Map<number, Map<number, TcpSeqEntry>>>();
  /** IPv6 conversations: both addresses → ports → numbers. */
  readonly tcpSeq6 = new Map<string, Map<number, TcpSeqEntry>>();

  /** Makes room for `n` more output bytes. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  /** Appends ASCII text. */
  w(s: string): void {
    const n = s.length;
    const p = this.pos;
    if (p + n > this.buf.length) this.room(n);
    if (n > 64) {
      this.pos = p + this.buf.write(s, p, "latin1");
      return;
    }
    const b = this.buf;
    for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
    this.pos = p + n;
  }

  /** Appends bytes made once (cached text; avoids re-reading a composed string). */
  wb(bytes: Uint8Array): void {
    const n = bytes.length;
    const p = this.pos;
    if (p + n > this.buf.length) this.room(n);
    const b = this.buf;
    for (let i = 0; i < n; i++) b[p + i] = bytes[i]!;
    this.pos = p + n;
  }

  /** Appends a non-negative integer in decimal. */
  num(v: number): void {
    if (this.pos + 20 > this.buf.length) this.room(20);
    const b = this.buf;
    if (v < 10) {
      b[this.pos++] = 48 + v;
      return;
    }
    if (v >= 4294967296) {
      this.w(String(v));
      return;
    }
    const digits =
      v < 100
        ? 2
        : v < 1000
          ? 3
          : v < 10000
            ? 4
            : v < 100000
              ? 5
              : v < 1e6
                ? 6
                : v < 1e7
                  ? 7
                  : v < 1e8
                    ? 8
                    : v < 1e9
                      ? 9
                      : 10;
    let p = this.pos + digits;
    this.pos = p;
    let t = v >>> 0;
    while (t >= 10) {
      const q = (t / 10) >>> 0;
      b[--p] = 48 + t - q * 10;
      t = q;
    }
    b[--p] = 48 + t;
  }

  /** Appends `v` in decimal, zero-padded to `width` digits. */
  numPad(v: number, width: number): void {
    if (this.pos + width + 10 > this.buf.length) this.room(width + 10);
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    for (let i = digits; i < width; i++) this.buf[this.pos++] = 48;
    this.num(v);
  }

  /** Appends the IPv4 address at `off` of the packet. */
  ip4w(off: number): void {
    if (off + 4 > this.end) throw TRUNCATED;
    if (this.pos + 16 > this.buf.length) this.room(16);
    const d = this.data;
    const b = this.buf;
    let p = this.pos;
    for (let k = 0; k < 4; k++) {
      if (k) b[p++] = 46;
      const digits = DEC_BYTES[d[off + k]!]!;
      for (let i = 0; i < digits.length; i++) b[p++] = digits[i]!;
    }
    this.pos = p;
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

/** ASCII bytes of `s`, for text written many times. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

export const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** IPv6 text form as inet_ntop writes it (RFC 5952 zero compression, embedded IPv4). */
export function formatIp6(d: Uint8Array, off: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((d[off + 2 * i]! << 8) | d[off + 2 * i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
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
  let s = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ":";
      continue;
    }
    if (i !== 0) s += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += `${d[off + 12]}.${d[off + 13]}.${d[off + 14]}.${d[off + 15]}`;
      break;
    }
    s += w[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ":";
  return s;
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
    if ((value & bit) === bit && bit !== 0) {
      s += any ? sep + name : name;
      any = true;
    }
  }
  return any ? s : none;
}

/** The Internet checksum over `data[off, off+len)`, continuing from `initial` (a partial sum). */
export function sum16(data: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  let i = off;
  const end = off + len;
  // Two 16-bit words a step; the sum stays far below 2^53 for any IP length.
  for (; i + 3 < end; i += 4) sum += ((data[i]! + data[i + 2]!) << 8) + data[i + 1]! + data[i + 3]!;
  if (i + 1 < end) {
    sum += (data[i]! << 8) | data[i + 1]!;
    i += 2;
  }
  if (i < end) sum += data[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
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
