// IPv4 (tcpdump's print-ip.c), its options with pval's option 222, and the
// demultiplexer to the next protocol shared with IPv6.

import { PVAL_IPOPT_LEN, PVAL_IPOPT_TYPE } from "@pval/decode";
import {
  bitNames,
  type Ctx,
  finishSum,
  type IpInfo,
  shouldBe,
  T_COLON,
  T_SEQ,
  T_TO,
  type Text,
  TRUNCATED,
  text,
} from "./context.js";
import { printIcmp } from "./icmp.js";
import { printIcmp6 } from "./icmp6.js";
import { printIp6 } from "./ip6.js";
import { printTcp } from "./tcp.js";
import { printUdp } from "./udp.js";

export type { IpInfo } from "./context.js";

export const IPPROTO_NAMES: Record<number, string> = {
  0: "Options",
  1: "ICMP",
  2: "IGMP",
  4: "IPIP",
  6: "TCP",
  8: "EGP",
  9: "IGRP",
  17: "UDP",
  33: "DCCP",
  41: "IPv6",
  43: "Routing",
  44: "Fragment",
  46: "RSVP",
  47: "GRE",
  50: "ESP",
  51: "AH",
  55: "Mobile IP",
  58: "ICMPv6",
  62: "Mobile IP (old)",
  88: "EIGRP",
  89: "OSPF",
  103: "PIM",
  108: "Compressed IP",
  112: "VRRP",
  113: "PGM",
  132: "SCTP",
  135: "Mobility",
  143: "Ethernet",
};

const FRAG_FLAGS: [number, string][] = [
  [0x2000, "+"],
  [0x4000, "DF"],
  [0x8000, "rsvd"],
];

const ECN = ["", ",ECT(1)", ",ECT(0)", ",CE"];
const headStarts: (Text | undefined)[] = [];
const headMiddles: (Text | undefined)[] = [];

/** `(tos 0x.., ttl N, id ` for one (tos, ttl) pair, made once. */
function headStart(tos: number, ttl: number): Text {
  const k = tos * 256 + ttl;
  let s = headStarts[k];
  if (s === undefined) {
    s = text(`(tos 0x${tos.toString(16)}${ECN[tos & 3]}${ttl >= 1 ? `, ttl ${ttl}` : ""}, id `);
    headStarts[k] = s;
  }
  return s;
}

/**
 * `, flags [..], proto NAME (N), length ` for one (flag bits, protocol) pair,
 * made once; with `, offset 0` in front for unfragmented datagrams.
 */
function headMiddle(flags: number, nh: number, offset0: boolean): Text {
  const k = (offset0 ? 2048 : 0) + flags * 256 + nh;
  let s = headMiddles[k];
  if (s === undefined) {
    s = text(
      `${offset0 ? ", offset 0" : ""}, flags [${bitNames(FRAG_FLAGS, "none", flags << 13)}], proto ${IPPROTO_NAMES[nh] ?? "unknown"} (${nh}), length `,
    );
    headMiddles[k] = s;
  }
  return s;
}

const T_IP = text("IP ");
const T_OFFSET = text(", offset ");
const T_OPTIONS = text(", options (");
const T_HEAD_END = text(")\n    ");
const T_PVAL_CPU = text("pval cpu ");

const OPTION_NAMES: Record<number, string> = {
  0: "EOL",
  1: "NOP",
  68: "timestamp",
  130: "security",
  7: "RR",
  137: "SSRR",
  131: "LSRR",
  148: "RA",
  82: "traceroute",
};

/** Prints an IPv4 datagram at `p` of `length` bytes (as far as the layer below knows). */
export function printIp(c: Ctx, p: number, length: number): void {
  c.proto = "ip";
  const vhl = c.u8(p);
  if (vhl >> 4 !== 4) {
    c.w(vhl >> 4 === 6 ? "IP6, wrong link-layer encapsulation (invalid)" : `IP${vhl >> 4} (invalid)`);
    return;
  }
  if (!c.eflag) c.t(T_IP);
  // A short header ends the line here; tcpdump returns rather than jumps,
  // so -x still starts after the link header.
  if (!c.has(p, 20)) {
    c.w(" [|ip]");
    return;
  }
  if (length < 20) {
    c.w(`truncated-ip ${length}`);
    return;
  }
  const hlen = (vhl & 0x0f) * 4;
  if (hlen < 20) {
    c.w(`bad-hlen ${hlen}`);
    return;
  }
  const totalLength = c.be16(p + 2);
  const len = totalLength;
  if (len > length) c.w(`truncated-ip - ${len - length} bytes missing! `);
  if (len < hlen) {
    c.w(`bad-len ${len}`);
    return;
  }
  const saved = c.end;
  if (p + Math.min(length, len) < c.end) c.end = p + Math.min(length, len);
  try {
    printIpBody(c, p, hlen, len - hlen, totalLength);
  } finally {
    c.end = saved;
  }
}

function printIpBody(c: Ctx, p: number, hlen: number, len: number, totalLength: number): void {
  {
    const off = c.be16(p + 6);
    const nh = c.u8(p + 9);
    let truncated = false;
    if (c.verbose > 0) {
      const tos = c.u8(p + 1);
      const ttl = c.u8(p + 8);
      c.t(headStart(tos, ttl));
      c.num(c.be16(p + 4));
      if ((off & 0x1fff) === 0) c.t(headMiddle(off >>> 13, nh, true));
      else {
        c.t(T_OFFSET);
        c.num((off & 0x1fff) * 8);
        c.t(headMiddle(off >>> 13, nh, false));
      }
      c.num(totalLength);
      if (hlen > 20) {
        c.t(T_OPTIONS);
        if (!printOptions(c, p + 20, hlen - 20)) {
          c.w(" [truncated-option]");
          truncated = true;
        }
        c.ch(41);
      }
      if (c.has(p, hlen)) {
        const sum = finishSum(c.sum(p, hlen));
        if (sum !== 0) {
          const field = c.be16(p + 10);
          c.w(`, bad cksum ${field.toString(16)} (->${shouldBe(field, sum).toString(16)})!`);
        }
      }
      c.t(T_HEAD_END);
      if (truncated) {
        c.w(`${c.ip4(p + 12)} > ${c.ip4(p + 16)}:  [|ip]`);
        return;
      }
    }
    if ((off & 0x1fff) === 0) {
      if (nh !== 6 && nh !== 17 && nh !== 132 && nh !== 33) {
        c.ip4w(p + 12);
        c.t(T_TO);
        c.ip4w(p + 16);
        c.t(T_COLON);
      }
      if (!c.has(p, hlen)) {
        c.w(` [remaining caplen(${c.end - p}) < header length(${hlen})]`);
        throw TRUNCATED;
      }
      demux(c, p + hlen, len, c.ipInfo().set(false, p, nh, nh, 0, (off & 0x2000) !== 0));
    } else {
      c.w(`${c.ip4(p + 12)} > ${c.ip4(p + 16)}: ip-proto-${nh}`);
    }
  }
}

/** tcpdump's ip_demux_print. */
export function demux(c: Ctx, p: number, length: number, ip: IpInfo): void {
  switch (ip.nh) {
    case 1:
      if (ip.v6) c.w("[ICMP requires IPv4] (invalid)");
      else printIcmp(c, p, length, ip);
      return;
    case 6:
      printTcp(c, p, length, ip);
      return;
    case 17:
      printUdp(c, p, length, ip);
      return;
    case 58:
      if (ip.v6) printIcmp6(c, p, length, ip);
      else c.w("[ICMPv6 requires IPv6] (invalid)");
      return;
    case 4:
      printIp(c, p, length);
      return;
    case 41:
      printIp6(c, p, length);
      return;
    case 59:
      c.w("no next header");
      return;
    default:
      c.w(` ip-proto-${ip.nh} ${length}`);
  }
}

/** ip_optprint; returns false when an option runs past the captured bytes. */
function printOptions(c: Ctx, start: number, length: number): boolean {
  let cp = start;
  let left = length;
  let first = true;
  while (left > 0) {
    if (!first) c.ch(44);
    first = false;
    const code = c.u8(cp);
    if (
      code === PVAL_IPOPT_TYPE &&
      left >= PVAL_IPOPT_LEN &&
      c.has(cp, PVAL_IPOPT_LEN) &&
      c.data[cp + 1] === PVAL_IPOPT_LEN
    ) {
      printPvalOption(c, cp);
      cp += PVAL_IPOPT_LEN;
      left -= PVAL_IPOPT_LEN;
      continue;
    }
    c.w(OPTION_NAMES[code] ?? `unknown ${code}`);
    let optLen: number;
    if (code === 0 || code === 1) optLen = 1;
    else {
      optLen = c.u8(cp + 1);
      if (optLen < 2) {
        c.w(` [bad length ${optLen}]`);
        return true;
      }
    }
    if (optLen > left) {
      c.w(` [bad length ${optLen}]`);
      return true;
    }
    if (!c.has(cp, optLen)) return false;
    switch (code) {
      case 0:
        return true;
      case 68:
        if (!printTimestamps(c, cp, optLen)) return false;
        break;
      case 7:
      case 131:
      case 137:
        if (!printRoute(c, cp, optLen)) return false;
        break;
      case 148:
        if (optLen < 4) {
          c.w(` [bad length ${optLen}]`);
          break;
        }
        if (c.be16(cp + 2) !== 0) c.w(` value ${c.be16(cp + 2)}`);
        break;
    }
    cp += optLen;
    left -= optLen;
  }
  return true;
}

/** Option 222: `pval cpu N, seq M` (seq is little-endian, SPEC §2). */
function printPvalOption(c: Ctx, cp: number): void {
  const d = c.data;
  const lo = (d[cp + 4]! | (d[cp + 5]! << 8) | (d[cp + 6]! << 16) | (d[cp + 7]! << 24)) >>> 0;
  const hi = (d[cp + 8]! | (d[cp + 9]! << 8) | (d[cp + 10]! << 16) | (d[cp + 11]! << 24)) >>> 0;
  const seq = hi < 0x200000 ? hi * 4294967296 + lo : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  c.t(T_PVAL_CPU);
  c.num(d[cp + 3]!);
  c.t(T_SEQ);
  if (typeof seq === "number") c.num(seq);
  else c.w(seq);
}

/** ip_printroute; false when an address runs past the capture. */
function printRoute(c: Ctx, cp: number, length: number): boolean {
  if (length < 3) {
    c.w(` [bad length ${length}]`);
    return true;
  }
  if ((length + 1) & 3) c.w(` [bad length ${length}]`);
  // Unsigned, as in tcpdump: a pointer of 0 is past every address.
  const ptr = (c.u8(cp + 2) - 1) >>> 0;
  if (ptr < 3 || (ptr + 1) & 3 || ptr > length + 1) c.w(` [bad ptr ${c.u8(cp + 2)}]`);
  for (let len = 3; len < length; len += 4) {
    if (!c.has(cp + len, 4)) return false;
    c.w(` ${c.ip4(cp + len)}`);
    if (ptr > len) c.w(",");
  }
  return true;
}

/** ip_printts; false when an entry runs past the capture. */
function printTimestamps(c: Ctx, cp: number, length: number): boolean {
  if (length < 4) {
    c.w(`[bad length ${length}]`);
    return true;
  }
  c.w(" TS{");
  const flg = c.u8(cp + 3);
  const hoplen = (flg & 0xf) !== 0 ? 8 : 4;
  if ((length - 4) & (hoplen - 1)) c.w(`[bad length ${length}]`);
  const ptr = (c.u8(cp + 2) - 1) >>> 0;
  let len = 0;
  if (ptr < 4 || (ptr - 4) & (hoplen - 1) || ptr > length + 1) c.w(`[bad ptr ${c.u8(cp + 2)}]`);
  let ok = true;
  switch (flg & 0xf) {
    case 0:
      c.w("TSONLY");
      break;
    case 1:
      c.w("TS+ADDR");
      break;
    case 3:
      c.w("PRESPEC");
      break;
    default:
      c.w(`[bad ts type ${flg & 0xf}]`);
      ok = false;
  }
  if (ok) {
    let type = " ";
    for (len = 4; len < length; len += hoplen) {
      if (ptr === len) type = " ^ ";
      if (!c.has(cp + len, hoplen)) return false;
      // With addresses (flags 1 and 3) each entry is the address, then the timestamp.
      c.w(`${type}${c.be32(cp + len + hoplen - 4)}@${hoplen !== 8 ? "" : c.ip4(cp + len)}`);
      type = " ";
    }
  }
  c.w(ptr === len ? " ^ " : "");
  if (flg >> 4) c.w(` [${flg >> 4} hops not recorded]} `);
  else c.w("}");
  return true;
}
