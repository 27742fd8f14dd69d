// TCP (tcpdump's print-tcp.c): flags, sequence numbers relative to the first
// packet of each conversation (tcpdump without -S), window, options, length,
// and the checksum at -v.

import {
  bitNames,
  type Ctx,
  finishSum,
  type IpInfo,
  shouldBe,
  T_COLON,
  T_LENGTH,
  T_SEQ,
  T_TO,
  type TcpSeqEntry,
  type Text,
  TRUNCATED,
  text,
} from "./context.js";
import { printDns } from "./dns.js";

const FLAGS: [number, string][] = [
  [0x01, "F"],
  [0x02, "S"],
  [0x04, "R"],
  [0x08, "P"],
  [0x10, "."],
  [0x20, "U"],
  [0x40, "E"],
  [0x80, "W"],
];

/** `Flags [...]` for every value of the nine flag bits. */
const flagTexts: (Text | undefined)[] = [];

/** `Flags [...]` for one value of the nine flag bits, made once. */
function flagText(flags: number): Text {
  let t = flagTexts[flags];
  if (t === undefined) {
    t = text(`Flags [${bitNames(FLAGS, "none", flags, "")}]`);
    flagTexts[flags] = t;
  }
  return t;
}

const OPTION_NAMES: Record<number, string> = {
  0: "eol",
  1: "nop",
  2: "mss",
  3: "wscale",
  4: "sackOK",
  5: "sack",
  6: "echo",
  7: "echoreply",
  8: "TS",
  11: "cc",
  12: "ccnew",
  13: "",
  19: "md5",
  20: "scps",
  28: "uto",
  29: "tcp-ao",
  30: "mptcp",
  34: "tfo",
  254: "exp",
};

/** The transport checksum over the IPv4 or IPv6 pseudo-header and the segment. */
export function transportSum(c: Ctx, ip: IpInfo, proto: number, p: number, length: number): number {
  let s: number;
  if (ip.v6) {
    s = c.sum(ip.hdr + 8, 16) + c.sum(ip.dst6, 16) + (length >>> 16) + (length & 0xffff) + proto;
  } else s = c.sum(ip.hdr + 12, 4) + c.sum(finalDst4(c, ip.hdr), 4) + proto + length;
  return finishSum(c.sum(p, length, s));
}

/**
 * Where the IPv4 pseudo-header's destination is: the last address of a
 * loose or strict source route option, else the header's destination
 * (tcpdump's ip_finddst).
 */
function finalDst4(c: Ctx, hdr: number): number {
  let cp = hdr + 20;
  let left = (c.u8(hdr) & 0x0f) * 4 - 20;
  while (left > 0) {
    const code = c.u8(cp);
    if (code === 0) break;
    let len = 1;
    if (code !== 1) {
      len = c.u8(cp + 1);
      if (len < 2) break;
    }
    if (left < len || !c.has(cp, len)) break;
    if ((code === 131 || code === 137) && len >= 7) return cp + len - 4;
    cp += len;
    left -= len;
  }
  return hdr + 16;
}

/** Four address bytes as one number (for conversation keys). */
function addrKey(c: Ctx, off: number): number {
  const d = c.data;
  return ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0;
}

function addrs(c: Ctx, ip: IpInfo): [string, string] {
  return ip.v6 ? [c.ip6(ip.hdr + 8), c.ip6(ip.hdr + 24)] : [c.ip4(ip.hdr + 12), c.ip4(ip.hdr + 16)];
}

/** Compares the raw source and destination addresses, as memcmp would. */
function compareAddrs(c: Ctx, ip: IpInfo): number {
  const d = c.data;
  const a = ip.hdr + (ip.v6 ? 8 : 12);
  const n = ip.v6 ? 16 : 4;
  for (let i = 0; i < n; i++) {
    const diff = d[a + i]! - d[a + n + i]!;
    if (diff !== 0) return diff;
  }
  return 0;
}

export function printTcp(c: Ctx, p: number, length: number, ip: IpInfo): void {
  c.proto = "tcp";
  if (!c.has(p + 2, 2)) {
    const [s, d] = addrs(c, ip);
    c.w(`${s} > ${d}: [|tcp]`);
    return;
  }
  const sport = c.be16(p);
  const dport = c.be16(p + 2);
  if (ip.hdrNh === 6) {
    if (ip.v6) c.ip6w(ip.hdr + 8);
    else c.ip4w(ip.hdr + 12);
    c.ch(46);
    c.num(sport);
    c.t(T_TO);
    if (ip.v6) c.ip6w(ip.hdr + 24);
    else c.ip4w(ip.hdr + 16);
    c.ch(46);
    c.num(dport);
    c.t(T_COLON);
  } else {
    c.num(sport);
    c.t(T_TO);
    c.num(dport);
    c.t(T_COLON);
  }
  if (!c.has(p, 20)) {
    c.w(" [|tcp]");
    return;
  }
  let hlen = (c.u8(p + 12) >> 4) * 4;
  let seq = c.be32(p + 4);
  let ack = c.be32(p + 8);
  const win = c.be16(p + 14);
  const urp = c.be16(p + 18);
  if (hlen < 20) {
    c.w(` tcp ${length - hlen} [bad hdr length ${hlen} - too short, < 20]`);
    return;
  }
  if (c.quiet) {
    c.w(`tcp ${length - hlen}`);
    if (hlen > length) c.w(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  const flags = c.u8(p + 13);
  c.t(flagText(flags));
  let thseq = 0;
  let thack = 0;
  let rev = false;
  if (flags & 0x10 && !c.absoluteSeq) {
    const cmp = compareAddrs(c, ip);
    rev = cmp > 0 || (cmp === 0 && sport > dport);
    const first = rev ? ip.hdr + (ip.v6 ? 24 : 16) : ip.hdr + (ip.v6 ? 8 : 12);
    const second = rev ? ip.hdr + (ip.v6 ? 8 : 12) : ip.hdr + (ip.v6 ? 24 : 16);
    const ports = rev ? dport * 65536 + sport : sport * 65536 + dport;
    // IPv4 conversations live in nested maps keyed by numbers (no string to
    // build and hash per packet); IPv6 ones under a string key.
    let inner: Map<number, TcpSeqEntry>;
    if (ip.v6) {
      const key = `${addrKey(c, first)}:${addrKey(c, first + 4)}:${addrKey(c, first + 8)}:${addrKey(c, first + 12)}:${addrKey(c, second)}:${addrKey(c, second + 4)}:${addrKey(c, second + 8)}:${addrKey(c, second + 12)}`;
      let m = c.tcpSeq6.get(key);
      if (m === undefined) c.tcpSeq6.set(key, (m = new Map()));
      inner = m;
    } else {
      const a = addrKey(c, first);
      const b = addrKey(c, second);
      const last = c.tcpLast;
      if (last.inner !== undefined && last.a === a && last.b === b) inner = last.inner;
      else {
        let byA = c.tcpSeq.get(a);
        if (byA === undefined) c.tcpSeq.set(a, (byA = new Map()));
        let m = byA.get(b);
        if (m === undefined) byA.set(b, (m = new Map()));
        inner = m;
        last.a = a;
        last.b = b;
        last.inner = m;
      }
    }
    let th = inner.get(ports);
    if (th === undefined || flags & 0x02) {
      th = rev ? { seq: (ack - 1) >>> 0, ack: seq } : { seq, ack: (ack - 1) >>> 0 };
      inner.set(ports, th);
    } else if (rev) {
      seq = (seq - th.ack) >>> 0;
      ack = (ack - th.seq) >>> 0;
    } else {
      seq = (seq - th.seq) >>> 0;
      ack = (ack - th.ack) >>> 0;
    }
    thseq = th.seq;
    thack = th.ack;
  }
  if (hlen > length) {
    c.w(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  if (c.verbose > 0 && !ip.fragmented && c.has(p, length)) {
    const sum = transportSum(c, ip, 6, p, length);
    const field = c.be16(p + 16);
    c.t(T_CKSUM);
    c.hex4(field);
    if (sum !== 0) c.w(` (incorrect -> 0x${hex4(shouldBe(field, sum))})`);
    else c.t(T_CORRECT);
  }
  const dataLen = length - hlen;
  if (c.verbose > 1 || dataLen > 0 || flags & 0x07) {
    c.t(T_SEQ);
    c.num(seq);
    if (dataLen > 0) {
      c.ch(58);
      c.num((seq + dataLen) >>> 0);
    }
  }
  if (flags & 0x10) {
    c.t(T_ACK);
    c.num(ack);
  }
  c.t(T_WIN);
  c.num(win);
  if (flags & 0x20) c.w(`, urg ${urp}`);
  if (hlen > 20) {
    hlen -= 20;
    let cp = p + 20;
    let ch = "";
    c.t(T_OPTIONS);
    try {
      while (hlen > 0) {
        if (ch !== "") c.ch(44);
        const opt = c.u8(cp);
        cp++;
        let len: number;
        if (opt === 0 || opt === 1) len = 1;
        else {
          len = c.u8(cp);
          cp++;
          if (len < 2 || len > hlen) {
            c.w(`[bad opt]${ch ? "]" : ""}`);
            return;
          }
          hlen--;
        }
        hlen--;
        let datalen = 0;
        const name = OPTION_TEXT[opt];
        if (name !== undefined) c.t(name);
        else c.w(`unknown-${opt}`);
        switch (opt) {
          case 2:
            datalen = 2;
            lencheck(c, cp, hlen, datalen);
            c.w(` ${c.be16(cp)}`);
            break;
          case 3:
            datalen = 1;
            lencheck(c, cp, hlen, datalen);
            c.w(` ${c.u8(cp)}`);
            break;
          case 5:
            datalen = len - 2;
            if (datalen % 8 !== 0) c.w(" invalid sack");
            else {
              c.w(` ${datalen / 8} `);
              for (let i = 0; i < datalen; i += 8) {
                lencheck(c, cp, hlen, i + 4);
                let s = c.be32(cp + i);
                lencheck(c, cp, hlen, i + 8);
                let e = c.be32(cp + i + 4);
                if (rev) {
                  s = (s - thseq) >>> 0;
                  e = (e - thseq) >>> 0;
                } else {
                  s = (s - thack) >>> 0;
                  e = (e - thack) >>> 0;
                }
                c.w(`{${s}:${e}}`);
              }
            }
            break;
          case 6:
          case 7:
          case 11:
          case 12:
          case 13:
            datalen = 4;
            lencheck(c, cp, hlen, datalen);
            c.w(` ${c.be32(cp)}`);
            break;
          case 8:
            datalen = 8;
            lencheck(c, cp, hlen, datalen);
            c.t(T_VAL);
            c.num(c.be32(cp));
            c.t(T_ECR);
            c.num(c.be32(cp + 4));
            break;
          case 0:
          case 1:
          case 4:
            break;
          case 19: {
            datalen = 16;
            lencheck(c, cp, hlen, datalen);
            // Without -M there is no secret to check the signature with.
            const segData = p + (c.u8(p + 12) >> 4) * 4;
            c.w(segData + dataLen > c.end ? " snaplen too short, " : " shared secret not supplied with -M, ");
            c.w("can't check - ");
            for (let i = 0; i < 16; i++) c.w(hex2(c.u8(cp + i)));
            break;
          }
          case 20:
            datalen = 2;
            lencheck(c, cp, hlen, datalen);
            c.w(` cap ${hex2(c.u8(cp))} id ${c.u8(cp + 1)}`);
            break;
          case 29:
            datalen = len - 2;
            if (datalen < 2) c.w(" (invalid)");
            else {
              lencheck(c, cp, hlen, 1);
              c.w(` keyid ${c.u8(cp)}`);
              lencheck(c, cp, hlen, 2);
              c.w(` rnextkeyid ${c.u8(cp + 1)}`);
              if (datalen > 2) {
                c.w(" mac 0x");
                for (let i = 2; i < datalen; i++) {
                  lencheck(c, cp, hlen, i + 1);
                  c.w(hex2(c.u8(cp + i)));
                }
              }
            }
            break;
          case 34:
            datalen = len - 2;
            lencheck(c, cp, hlen, datalen);
            c.w(" ");
            fastOpen(c, cp, datalen, false);
            break;
          case 254:
            datalen = len - 2;
            lencheck(c, cp, hlen, datalen);
            if (datalen < 2) throw BAD_OPT;
            c.w("-");
            if (c.be16(cp) === 0xf989) fastOpen(c, cp + 2, datalen - 2, true);
            else c.w(hex4(c.be16(cp)));
            break;
          case 28: {
            datalen = 2;
            lencheck(c, cp, hlen, datalen);
            let uto = c.be16(cp);
            c.w(` 0x${uto.toString(16)}`);
            uto = uto & 1 ? (uto >> 1) * 60 : uto >> 1;
            c.w(` ${uto}`);
            break;
          }
          default:
            datalen = len - 2;
            if (datalen) c.w(" 0x");
            for (let i = 0; i < datalen; i++) {
              lencheck(c, cp, hlen, i + 1);
              c.w(
                c
                  .u8(cp + i)
                  .toString(16)
                  .padStart(2, "0"),
              );
            }
        }
        cp += datalen;
        hlen -= datalen;
        datalen++;
        if (opt !== 0 && opt !== 1) datalen++;
        if (datalen !== len) c.w(`[len ${len}]`);
        ch = ",";
        if (opt === 0) break;
      }
    } catch (err) {
      if (err === OPT_TRUNC) c.w(` [|tcp]${ch ? ">" : ""}`);
      else if (err === BAD_OPT) c.w(`[bad opt]${ch ? "]" : ""}`);
      else throw err;
      return;
    }
    c.ch(93);
  }
  c.t(T_LENGTH);
  c.num(dataLen);
  if (dataLen <= 0) return;
  const headerLen = (c.u8(p + 12) >> 4) * 4;
  if (!c.has(p, headerLen)) {
    c.w(` [remaining caplen(${Math.max(0, c.end - p)}) < header length(${headerLen})]`);
    throw TRUNCATED;
  }
  const data = p + headerLen;
  if (flags & 0x04 && c.verbose > 0) {
    printRstData(c, data, dataLen);
    return;
  }
  if (sport === 53 || dport === 53) printDns(c, data, dataLen, true);
}

const T_CKSUM = text(", cksum 0x");
const T_CORRECT = text(" (correct)");
const T_ACK = text(", ack ");
const T_WIN = text(", win ");
const T_OPTIONS = text(", options [");
const T_VAL = text(" val ");
const T_ECR = text(" ecr ");
const OPTION_TEXT: (Text | undefined)[] = [];
for (const [code, name] of Object.entries(OPTION_NAMES)) OPTION_TEXT[Number(code)] = text(name);

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/** A TCP Fast Open cookie or cookie request (RFC 7413). */
function fastOpen(c: Ctx, cp: number, datalen: number, exp: boolean): void {
  if (exp) c.w("tfo");
  if (datalen === 0) c.w(" cookiereq");
  else if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) c.w(" (invalid)");
  else {
    c.w(" cookie ");
    for (let i = 0; i < datalen; i++) c.w(hex2(c.u8(cp + i)));
  }
}

/** tcpdump's LENCHECK: `l` bytes of option data at `cp`, within the header and the capture. */
function lencheck(c: Ctx, cp: number, hlen: number, l: number): void {
  if (l > hlen) throw BAD_OPT;
  if (!c.has(cp, l)) throw OPT_TRUNC;
}

const BAD_OPT = Symbol("bad tcp option");
/** An option's data runs past the capture: tcpdump's LENCHECK, which ends with `>`. */
const OPT_TRUNC = Symbol("truncated tcp option");

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex4(v: number): string {
  return HEX2[v >> 8]! + HEX2[v & 0xff]!;
}

function printRstData(c: Ctx, p: number, length: number): void {
  c.w(c.has(p, length) ? " [RST" : " [!RST");
  let n = length;
  if (n > 30) {
    n = 30;
    c.w("+");
  }
  c.w(" ");
  // fn_print_char: M- for the high bit, ^ for control characters.
  for (let i = 0; i < n && p + i < c.end; i++) {
    let b = c.u8(p + i);
    if (b & 0x80) {
      b &= 0x7f;
      c.w("M-");
    }
    if (b < 0x20 || b > 0x7e) {
      b ^= 0x40;
      c.w("^");
    }
    c.ch(b);
  }
  c.w("]");
}
