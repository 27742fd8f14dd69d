// DNS (tcpdump's print-domain.c): header flags, questions, and answers of the
// common record types; authority and additional sections at -vv, TTLs at -vvv.

import { type Ctx, formatIp6, TRUNCATED } from "./context.js";

const TYPES: Record<number, string> = {
  1: "A",
  2: "NS",
  3: "MD",
  4: "MF",
  5: "CNAME",
  6: "SOA",
  7: "MB",
  8: "MG",
  9: "MR",
  10: "NULL",
  11: "WKS",
  12: "PTR",
  13: "HINFO",
  14: "MINFO",
  15: "MX",
  16: "TXT",
  17: "RP",
  18: "AFSDB",
  19: "X25",
  20: "ISDN",
  21: "RT",
  22: "NSAP",
  23: "NSAP_PTR",
  24: "SIG",
  25: "KEY",
  26: "PX",
  27: "GPOS",
  28: "AAAA",
  29: "LOC",
  30: "NXT",
  31: "EID",
  32: "NIMLOC",
  33: "SRV",
  34: "ATMA",
  35: "NAPTR",
  36: "KX",
  37: "CERT",
  38: "A6",
  39: "DNAME",
  40: "SINK",
  41: "OPT",
  42: "APL",
  43: "DS",
  44: "SSHFP",
  45: "IPSECKEY",
  46: "RRSIG",
  47: "NSEC",
  48: "DNSKEY",
  99: "SPF",
  100: "UINFO",
  101: "UID",
  102: "GID",
  103: "UNSPEC",
  104: "UNSPECA",
  249: "TKEY",
  250: "TSIG",
  251: "IXFR",
  252: "AXFR",
  253: "MAILB",
  254: "MAILA",
  255: "ANY",
  256: "URI",
};

const CLASSES: Record<number, string> = { 1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY" };

const RCODES: Record<number, string> = {
  1: "FormErr",
  2: "ServFail",
  3: "NXDomain",
  4: "NotImp",
  5: "Refused",
  6: "YXDomain",
  7: "YXRRSet",
  8: "NXRRSet",
  9: "NotAuth",
  10: "NotZone",
  15: "NoChange",
  16: "BadVers",
};

const OPS = [
  "",
  " inv_q",
  " stat",
  " op3",
  " notify",
  " update",
  " op6",
  " op7",
  " op8",
  " updateA",
  " updateD",
  " updateDA",
  " updateM",
  " updateMA",
  " zoneInit",
  " zoneRef",
];

const typeName = (t: number) => TYPES[t] ?? `Type${t}`;
const className = (k: number) => CLASSES[k] ?? `(Class ${k})`;

function rcodeText(r: number): string {
  if (r === 0) return "";
  return ` ${RCODES[r] ?? `Resp${r}`}`;
}

/** MAXCDNAME: the longest name tcpdump prints whole. */
const MAXCDNAME = 255;

/** Prints `n` bytes at `p` escaping as tcpdump's nd_printn; false when cut short. */
function printn(c: Ctx, p: number, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if (p + i >= c.end) return false;
    let ch = c.data[p + i]!;
    if (ch > 0x7f) {
      ch &= 0x7f;
      c.w("M-");
    }
    if (ch < 0x20 || ch === 0x7f) {
      ch ^= 0x40;
      c.w("^");
    }
    c.w(String.fromCharCode(ch));
  }
  return true;
}

/** Length of the label at `p`, or -1 (with a message printed) for a bad type. */
function labelLen(c: Ctx, p: number): number {
  if (p >= c.end) return -1;
  const i = c.data[p]!;
  switch (i & 0xc0) {
    case 0x40: {
      const elt = i & 0x3f;
      if (elt !== 0x01) {
        c.w(`<ELT ${elt}>`);
        return -1;
      }
      if (p + 1 >= c.end) return -1;
      let bitlen = c.data[p + 1]!;
      if (bitlen === 0) bitlen = 256;
      return ((bitlen + 7) >> 3) + 1;
    }
    case 0xc0:
    case 0:
      return i;
    default:
      c.w("<BAD LABEL TYPE>");
      return -1;
  }
}

/** fqdn_print: prints the name at `cp` (compression relative to `bp`); returns the end or -1. */
export function printName(c: Ctx, start: number, bp: number): number {
  let cp = start;
  let l = labelLen(c, cp);
  if (l < 0) return -1;
  if (cp >= c.end) return -1;
  let maxOffset = cp - bp;
  let i = c.data[cp++]!;
  let rp = -1;
  let compress = false;
  let chars = 0;
  if ((i & 0xc0) !== 0xc0) rp = cp + l;
  if (i === 0) {
    c.w(".");
    return rp;
  }
  while (i && cp < c.end) {
    switch (i & 0xc0) {
      case 0xc0: {
        if (!compress) {
          rp = cp + 1;
          compress = true;
        }
        if (cp >= c.end) return -1;
        const offset = ((i << 8) | c.data[cp]!) & 0x3fff;
        if (offset >= maxOffset) {
          c.w("<BAD PTR>");
          return -1;
        }
        maxOffset = offset;
        cp = bp + offset;
        if (cp >= c.end) return -1;
        i = c.data[cp]!;
        l = labelLen(c, cp);
        if (l < 0) return -1;
        cp++;
        continue;
      }
      case 0x40:
        if ((i & 0x3f) !== 0x01) {
          c.w(`<ELT ${i & 0x3f}>`);
          return -1;
        }
        if (!printBitLabel(c, cp)) return -1;
        break;
      case 0x80:
        c.w("<BAD LABEL TYPE>");
        return -1;
      default:
        if (chars + l <= MAXCDNAME) {
          if (!printn(c, cp, l)) return -1;
        } else if (chars < MAXCDNAME) {
          if (!printn(c, cp, MAXCDNAME - chars)) return -1;
        }
        chars += l;
    }
    cp += l;
    if (chars <= MAXCDNAME) c.w(".");
    chars++;
    if (cp >= c.end) return -1;
    i = c.data[cp]!;
    l = labelLen(c, cp);
    if (l < 0) return -1;
    cp++;
    if (!compress) rp += l + 1;
  }
  if (chars > MAXCDNAME) c.w("<DOMAIN NAME TOO LONG>");
  return rp;
}

/** blabel_print: an EDNS0 bit-string label as `\[x<hex>/<bits>]`; false when cut short. */
function printBitLabel(c: Ctx, cp: number): boolean {
  if (cp >= c.end) return false;
  let bitlen = c.data[cp]!;
  if (bitlen === 0) bitlen = 256;
  const lim = cp + 1 + Math.floor((bitlen + 3) / 4);
  c.w("\\[x");
  let bitp = cp + 1;
  let b = bitlen;
  for (; bitp < lim && b > 7; b -= 8, bitp++) c.w(hex2(c.u8(bitp)));
  if (b > 4) c.w(hex2(c.u8(bitp) & ((0xff << (8 - b)) & 0xff)));
  else if (b > 0) c.w(((c.u8(bitp) >> 4) & 0x0f & (0x0f << (4 - b))).toString(16));
  c.w(`/${bitlen}]`);
  return true;
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/** ns_nskip: the offset after the name at `p`, or -1. */
function skipName(c: Ctx, start: number): number {
  let cp = start;
  if (cp >= c.end) return -1;
  let i = c.data[cp++]!;
  while (i) {
    switch (i & 0xc0) {
      case 0xc0:
        return cp + 1;
      case 0x40: {
        if ((i & 0x3f) !== 0x01) return -1;
        if (cp >= c.end) return -1;
        let bitlen = c.data[cp]!;
        if (bitlen === 0) bitlen = 256;
        cp++;
        cp += (bitlen + 7) >> 3;
        break;
      }
      case 0x80:
        return -1;
      default:
        cp += i;
    }
    if (cp >= c.end) return -1;
    i = c.data[cp++]!;
  }
  return cp;
}

function printQuestion(c: Ctx, cp: number, bp: number): number {
  const np = cp;
  const after = skipName(c, cp);
  if (after < 0 || !c.has(after, 4)) return -1;
  c.w(` ${typeName(c.be16(after))}`);
  const cls = c.be16(after + 2);
  if (cls !== 1) c.w(` ${className(cls)}`);
  c.w("? ");
  const r = printName(c, np, bp);
  return r < 0 ? -1 : r + 4;
}

function relTime(secs: number): string {
  if (secs === 0) return "0s";
  const units: [number, string][] = [
    [31536000, "y"],
    [604800, "w"],
    [86400, "d"],
    [3600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  let s = "";
  let left = secs;
  for (const [n, u] of units) {
    if (left >= n) {
      const q = Math.floor(left / n);
      s += `${q}${u}`;
      left -= q * n;
    }
  }
  return s;
}

/** ns_rprint: one resource record; returns the offset after it, or -1 when cut short. */
function printRecord(c: Ctx, start: number, bp: number): number {
  let cp = start;
  if (c.verbose > 0) {
    c.w(" ");
    cp = printName(c, cp, bp);
    if (cp < 0) return -1;
  } else cp = skipName(c, cp);
  if (cp < 0 || !c.has(cp, 10)) return c.end;
  const typ = c.be16(cp);
  const cls = c.be16(cp + 2);
  cp += 4;
  if (cls !== 1 && typ !== 41) c.w(` ${className(cls)}`);
  let optFlags = 0;
  if (typ === 41) {
    optFlags = c.be16(cp + 2);
    cp += 4;
  } else if (c.verbose > 2) {
    c.w(` [${relTime(c.be32(cp))}]`);
    cp += 4;
  } else cp += 4;
  const len = c.be16(cp);
  cp += 2;
  const rp = cp + len;
  c.w(` ${typeName(typ)}`);
  if (rp > c.end) return -1;
  switch (typ) {
    case 1:
      if (!c.has(cp, 4)) return -1;
      c.w(` ${c.ip4(cp)}`);
      break;
    case 2:
    case 5:
    case 12:
    case 39:
      c.w(" ");
      if (printName(c, cp, bp) < 0) return -1;
      break;
    case 6: {
      if (!c.verbose) break;
      c.w(" ");
      let q = printName(c, cp, bp);
      if (q < 0) return -1;
      c.w(" ");
      q = printName(c, q, bp);
      if (q < 0 || !c.has(q, 20)) return -1;
      for (let k = 0; k < 5; k++) c.w(` ${c.be32(q + 4 * k)}`);
      break;
    }
    case 15:
      c.w(" ");
      if (!c.has(cp, 2)) return -1;
      if (printName(c, cp + 2, bp) < 0) return -1;
      c.w(` ${c.be16(cp)}`);
      break;
    case 16: {
      let q = cp;
      while (q < rp) {
        c.w(' "');
        if (q >= c.end) return -1;
        const n = c.data[q]!;
        if (!printn(c, q + 1, n)) return -1;
        q += 1 + n;
        c.w('"');
      }
      break;
    }
    case 33:
      c.w(" ");
      if (!c.has(cp, 6)) return -1;
      if (printName(c, cp + 6, bp) < 0) return -1;
      c.w(`:${c.be16(cp + 4)} ${c.be16(cp)} ${c.be16(cp + 2)}`);
      break;
    case 28:
      if (!c.has(cp, 16)) return -1;
      c.w(` ${formatIp6(c.data, cp)}`);
      break;
    case 38: {
      // A6: prefix length, the address bits after it, the prefix name.
      if (!c.has(cp, 1)) return -1;
      const pbit = c.u8(cp);
      const pbyte = (pbit & ~7) / 8;
      if (pbit > 128) {
        c.w(` ${pbit}(bad plen)`);
        break;
      }
      if (pbit < 128) {
        c.check(cp + 1, 16 - pbyte);
        const a = new Uint8Array(16);
        a.set(c.data.subarray(cp + 1, cp + 1 + 16 - pbyte), pbyte);
        c.w(` ${pbit} ${formatIp6(a, 0)}`);
      }
      if (pbit > 0) {
        c.w(" ");
        if (printName(c, cp + 1 + 16 - pbyte, bp) < 0) return -1;
      }
      break;
    }
    case 104:
      if (!c.has(cp, len) || !printn(c, cp, len)) return -1;
      break;
    case 256:
      if (!c.has(cp, len)) return -1;
      c.w(` ${c.be16(cp)} ${c.be16(cp + 2)} `);
      // Unsigned in tcpdump: a length below 4 prints to the end of the capture.
      if (!printn(c, cp + 4, (len - 4) >>> 0)) return -1;
      break;
    case 250: {
      if (cp + len > c.end) return -1;
      if (!c.verbose) break;
      c.w(" ");
      let q = printName(c, cp, bp);
      if (q < 0) return -1;
      q += 6;
      const field = (name: string, skip: number): boolean => {
        if (!c.has(q, 2)) return false;
        const v = c.be16(q);
        c.w(` ${name}=${v}`);
        q += 2 + (skip ? v : 0);
        return true;
      };
      if (!field("fudge", 0) || !field("maclen", 1) || !field("origid", 0) || !field("error", 0)) return -1;
      if (!field("otherlen", 0)) return -1;
      break;
    }
    case 41:
      c.w(` UDPsize=${cls}`);
      if (optFlags & 0x8000) c.w(" DO");
      if (cp < rp) {
        c.w(" [");
        let q = cp;
        while (q < rp) {
          q = printEdnsOption(c, q);
          if (q < 0) return -1;
          if (q < rp) c.w(",");
        }
        c.w("]");
      }
      break;
  }
  return rp;
}

const EDNS_OPTIONS: Record<number, string> = {
  1: "LLQ",
  2: "UL",
  3: "NSID",
  5: "DAU",
  6: "DHU",
  7: "N3U",
  8: "ECS",
  9: "EXPIRE",
  10: "COOKIE",
  11: "KEEPALIVE",
  12: "PADDING",
  13: "CHAIN",
  14: "KEY-TAG",
  16: "CLIENT-TAG",
  17: "SERVER-TAG",
};

const DNSSEC_ALGORITHMS: Record<number, string> = {
  0: "DELETE",
  1: "RSAMD5",
  2: "DH",
  3: "DS",
  5: "RSASHA1",
  6: "DSA-NSEC3-SHA1",
  7: "RSASHA1-NSEC3-SHA1",
  8: "RSASHA256",
  10: "RSASHA512",
  12: "ECC-GOST",
  13: "ECDSAP256SHA256",
  14: "ECDSAP384SHA384",
  15: "ED25519",
  16: "ED448",
  252: "INDIRECT",
  253: "PRIVATEDNS",
  254: "PRIVATEOID",
};
const DS_HASHES: Record<number, string> = { 1: "SHA-1", 2: "SHA-256", 3: "GOST_R_34.11-94", 4: "SHA-384" };
const NSEC3_HASHES: Record<number, string> = { 1: "SHA-1" };

/** eopt_print: one EDNS option of an OPT record; its end, or -1 when cut short. */
function printEdnsOption(c: Ctx, start: number): number {
  let cp = start;
  if (!c.has(cp, 2)) return -1;
  const opt = c.be16(cp);
  cp += 2;
  c.w(EDNS_OPTIONS[opt] ?? `Opt${opt}`);
  if (!c.has(cp, 2)) return -1;
  const len = c.be16(cp);
  cp += 2;
  if (!c.has(cp, len)) return -1;
  if (len === 0) return cp;
  c.w(" ");
  const bytes = (from: number, n: number) => {
    let t = "";
    for (let i = 0; i < n; i++) t += hex2(c.u8(from + i));
    return t;
  };
  const names = (table: Record<number, string>) => {
    const out: string[] = [];
    for (let i = 0; i < len; i++) out.push(table[c.u8(cp + i)] ?? `Alg_${c.u8(cp + i)}`);
    c.w(out.join(" "));
  };
  switch (opt) {
    case 8:
      printClientSubnet(c, cp, len);
      break;
    case 10:
      if (len < 8 || (len > 8 && len < 16) || len > 40) c.w(" (invalid)");
      else c.w(len > 8 ? `${bytes(cp, 8)} ${bytes(cp + 8, len - 8)}` : bytes(cp, 8));
      break;
    case 11:
      c.w(len !== 2 ? " (invalid)" : `${(c.be16(cp) / 10).toFixed(1)} sec`);
      break;
    case 9:
      c.w(len !== 4 ? " (invalid)" : `${c.be32(cp)} sec`);
      break;
    case 12:
      c.w(`(${len})`);
      break;
    case 14:
      if (len % 2 !== 0) c.w(" (invalid)");
      else {
        const tags: number[] = [];
        for (let i = 0; i < len; i += 2) tags.push(c.be16(cp + i));
        c.w(tags.join(" "));
      }
      break;
    case 5:
      names(DNSSEC_ALGORITHMS);
      break;
    case 6:
      names(DS_HASHES);
      break;
    case 7:
      names(NSEC3_HASHES);
      break;
    case 13:
      printName(c, cp, cp + len);
      break;
    default:
      c.w(bytes(cp, len));
  }
  return cp + len;
}

/** print_eopt_ecs: family, source and scope prefix lengths, the address. */
function printClientSubnet(c: Ctx, cp: number, len: number): void {
  if (len < 4) {
    c.w(" (invalid)");
    return;
  }
  const family = c.be16(cp);
  const srcLen = c.u8(cp + 2);
  const scopeLen = c.u8(cp + 3);
  const bits = family === 1 ? 32 : family === 2 ? 128 : 0;
  if (
    bits === 0 ||
    len - 4 > bits / 8 ||
    srcLen > bits ||
    scopeLen > bits ||
    Math.floor((srcLen + 7) / 8) !== len - 4
  ) {
    c.w(" (invalid)");
    return;
  }
  const padded = new Uint8Array(16);
  padded.set(c.data.subarray(cp + 4, cp + len));
  const addr = family === 1 ? Array.from(padded.subarray(0, 4)).join(".") : formatIp6(padded, 0);
  c.w(`${addr}/${srcLen}/${scopeLen}`);
}

/** domain_print. `overTcp` messages start with a two-byte length. */
export function printDns(c: Ctx, start: number, length: number, overTcp: boolean): void {
  const saved = c.proto;
  c.proto = "domain";
  let bp = start;
  let len = length;
  try {
    if (overTcp) {
      if (len < 2) {
        c.w(` [DNS over TCP: length ${len} < 2] (invalid)`);
        return;
      }
      len -= 2;
      const prefix = c.be16(bp);
      if (prefix !== len) {
        c.w(` [prefix length(${prefix}) != length(${len})] (invalid)`);
        return;
      }
      bp += 2;
      c.w(" ");
    }
    if (len < 12) {
      c.w(`domain [length ${len} < 12] (invalid)`);
      return;
    }
    if (!c.has(bp, 12)) {
      // A short header ends the line without abandoning the packet (-x starts after the link header).
      c.w(" [|domain]");
      c.proto = saved;
      return;
    }
    printDnsMessage(c, bp, len);
  } catch (err) {
    if (err !== TRUNCATED) throw err;
    c.jumped = true;
    c.w(" [|domain]");
  }
  c.proto = saved;
}

function printDnsMessage(c: Ctx, bp: number, length: number): void {
  const flags = c.be16(bp + 2);
  const qd = c.be16(bp + 4);
  const an = c.be16(bp + 6);
  const ns = c.be16(bp + 8);
  const ar = c.be16(bp + 10);
  const rcode = (flags & 0xf) | (extendedRcode(c, bp, qd, an + ns, ar) << 4);
  const opcode = (flags >> 11) & 0xf;
  let cp = bp + 12;
  if (flags & 0x8000) {
    c.w(
      `${c.be16(bp)}${OPS[opcode]}${rcodeText(rcode)}${flags & 0x0400 ? "*" : ""}${flags & 0x0080 ? "" : "-"}${flags & 0x0200 ? "|" : ""}${flags & 0x0020 ? "$" : ""}`,
    );
    if (qd !== 1) c.w(` [${qd}q]`);
    for (let i = 0; i < qd; i++) {
      if (i !== 0) c.w(",");
      if (c.verbose > 1) {
        c.w(" q:");
        cp = printQuestion(c, cp, bp);
      } else {
        cp = skipName(c, cp);
        if (cp >= 0) cp += 4;
      }
      if (cp < 0) {
        c.w(" [|domain]");
        return;
      }
    }
    c.w(` ${an}/${ns}/${ar}`);
    cp = printRecords(c, cp, bp, an, "", false);
    if (c.verbose > 1) {
      cp = printRecords(c, cp, bp, ns, " ns:", true);
      cp = printRecords(c, cp, bp, ar, " ar:", true);
    }
  } else {
    c.w(`${c.be16(bp)}${OPS[opcode]}${flags & 0x0100 ? "+" : ""}${flags & 0x0010 ? "%" : ""}`);
    if (flags & 0x6cf) c.w(` [b2&3=0x${flags.toString(16)}]`);
    if (opcode === 1) {
      if (qd) c.w(` [${qd}q]`);
      if (an !== 1) c.w(` [${an}a]`);
    } else {
      if (an) c.w(` [${an}a]`);
      if (qd !== 1) c.w(` [${qd}q]`);
    }
    if (ns) c.w(` [${ns}n]`);
    if (ar) c.w(` [${ar}au]`);
    let q = qd;
    if (q) {
      cp = printQuestion(c, cp, bp);
      q--;
      while (cp >= 0 && cp < c.end && q) {
        cp = printQuestion(c, cp, bp);
        q--;
      }
    }
    if (cp < 0 || q) cp = -1;
    else if (c.verbose > 1) {
      cp = printRecords(c, cp, bp, an, "", false);
      cp = printRecords(c, cp, bp, ns, " ns:", true);
      cp = printRecords(c, cp, bp, ar, " ar:", true);
    }
  }
  if (cp < 0) c.w(" [|domain]");
  else c.w(` (${length})`);
}

/**
 * Prints one section of `count` records, the first after `lead` and the rest
 * after ","; returns the offset after them, or -1 when the section ran out.
 * `cp < 0` on entry (an earlier section ran out) is passed through.
 */
function printRecords(c: Ctx, start: number, bp: number, count: number, lead: string, needData: boolean): number {
  let cp = start;
  let left = count;
  if (cp < 0) return cp;
  if (left && (!needData || cp < c.end)) {
    c.w(lead);
    cp = printRecord(c, cp, bp);
    if (cp < 0) return -1;
    left--;
    while (cp < c.end && left) {
      c.w(",");
      cp = printRecord(c, cp, bp);
      if (cp < 0) return -1;
      left--;
    }
  }
  return left ? -1 : cp;
}

/** The upper rcode bits from the OPT record, if one can be found (0 otherwise). */
function extendedRcode(c: Ctx, bp: number, qd: number, anns: number, ar: number): number {
  let cp = bp + 12;
  for (let i = 0; i < qd; i++) {
    cp = skipName(c, cp);
    if (cp < 0) return 0;
    cp += 4;
    if (cp >= c.end) return 0;
  }
  for (let i = 0; i < anns; i++) {
    cp = skipName(c, cp);
    if (cp < 0) return 0;
    cp += 8;
    if (cp + 2 > c.end) return 0;
    cp += 2 + c.be16(cp);
    if (cp >= c.end) return 0;
  }
  for (let i = 0; i < ar; i++) {
    cp = skipName(c, cp);
    if (cp < 0 || cp + 2 > c.end) return 0;
    const type = c.be16(cp);
    cp += 4;
    if (cp + 1 > c.end) return 0;
    if (type === 41) return c.u8(cp);
    cp += 4;
    if (cp + 2 > c.end) return 0;
    cp += 2 + c.be16(cp);
    if (cp >= c.end) return 0;
  }
  return 0;
}
