// ICMPv6 (tcpdump's print-icmp6.c): echo, errors, and neighbour discovery
// with its options.

import { bitNames, type Ctx, finishSum, formatIp6, shouldBe } from "./context.js";
import { printName } from "./dns.js";
import { unknownData } from "./hex.js";
import type { IpInfo } from "./ip.js";

const TYPES: Record<number, string> = {
  1: "destination unreachable",
  2: "packet too big",
  3: "time exceeded in-transit",
  4: "parameter problem",
  128: "echo request",
  129: "echo reply",
  130: "multicast listener query",
  131: "multicast listener report",
  132: "multicast listener done",
  133: "router solicitation",
  134: "router advertisement",
  135: "neighbor solicitation",
  136: "neighbor advertisement",
  137: "redirect",
  138: "router renumbering",
  139: "who-are-you request",
  140: "who-are-you reply",
  141: "inverse neighbor solicitation",
  142: "inverse neighbor advertisement",
  143: "multicast listener report v2",
  144: "ha discovery request",
  145: "ha discovery reply",
  146: "mobile router solicitation",
  147: "mobile router advertisement",
  155: "RPL",
  200: "mtrace response",
  201: "mtrace message",
};

const UNREACH_CODES: Record<number, string> = {
  0: "unreachable route",
  1: " unreachable prohibited",
  2: "beyond scope",
  3: "unreachable address",
  4: "unreachable port",
};

const OPT_NAMES: Record<number, string> = {
  1: "source link-address",
  2: "destination link-address",
  3: "prefix info",
  4: "redirected header",
  5: "mtu",
  7: "advertisement interval",
  8: "homeagent information",
  24: "route info",
  25: "rdnss",
  31: "dnssl",
};

const NA_FLAGS: [number, string][] = [
  [0x80000000, "router"],
  [0x40000000, "solicited"],
  [0x20000000, "override"],
];
const RA_FLAGS: [number, string][] = [
  [0x80, "managed"],
  [0x40, "other stateful"],
  [0x20, "home agent"],
  [0x02, "ipv6 only"],
];
const PI_FLAGS: [number, string][] = [
  [0x80, "onlink"],
  [0x40, "auto"],
  [0x20, "router"],
];
const RT_PREF = ["medium", "high", "rsv", "low"];

function lifetime(v: number): string {
  return v === 0xffffffff ? "infinity" : `${v}s`;
}

/** The ICMPv6 checksum including the IPv6 pseudo-header. */
function icmp6Sum(c: Ctx, ip: IpInfo, p: number, length: number): number {
  let s = c.sum(ip.hdr + 8, 16) + c.sum(ip.dst6, 16);
  s += (length >>> 16) + (length & 0xffff) + 58;
  return finishSum(c.sum(p, length, s));
}

export function printIcmp6(c: Ctx, p: number, length: number, ip: IpInfo): void {
  c.proto = "icmp6";
  if (length === 0) {
    c.w("ICMP6, length 0 (invalid)");
    return;
  }
  if (c.verbose > 0 && !ip.fragmented && c.has(p, length)) {
    const field = c.be16(p + 2);
    const sum = icmp6Sum(c, ip, p, length);
    c.w(sum !== 0 ? `[bad icmp6 cksum 0x${hex4(field)} -> 0x${hex4(shouldBe(field, sum))}!] ` : "[icmp6 sum ok] ");
  }
  const type = c.u8(p);
  c.w(`ICMP6, ${TYPES[type] ?? `unknown icmp6 type (${type})`}`);
  if (c.verbose > 0 && ((type >= 133 && type <= 137) || type === 145 || type === 147)) {
    c.w(`, length ${length}`);
  }
  const code = c.u8(p + 1);
  const oip = p + 8;
  switch (type) {
    case 1:
      c.w(`, ${UNREACH_CODES[code] ?? `unknown unreach code (${code})`}`);
      switch (code) {
        case 0:
        case 1:
        case 3:
          c.w(` ${c.ip6(oip + 24)}`);
          break;
        case 2:
          c.w(` ${c.ip6(oip + 24)}, source address ${c.ip6(oip + 8)}`);
          break;
        case 4: {
          const l4 = upperLayer(c, oip);
          if (l4 < 0) {
            c.w(" [|icmp6]");
            return;
          }
          const dport = c.be16(l4 + 2);
          c.w(`, ${c.ip6(oip + 24)} ${upperProto === 6 ? "tcp" : "udp"} port ${dport}`);
          break;
        }
        default:
          if (c.verbose <= 1) {
            c.w(unknownData(c, p, length, "\n\t"));
            return;
          }
      }
      break;
    case 2:
      c.w(`, mtu ${c.be32(p + 4)}`);
      break;
    case 3:
      if (code === 0) c.w(` for ${c.ip6(oip + 24)}`);
      else if (code === 1) c.w(" (reassembly)");
      else c.w(`, unknown code (${code})`);
      break;
    case 4:
      if (!c.has(oip + 24, 16)) {
        c.w(" [|icmp6]");
        return;
      }
      if (code <= 3) c.w(`, ${PARAM_PROBLEMS[code]} - octet ${c.be32(p + 4)}`);
      else c.w(`, code-#${code}`);
      break;
    case 130:
      if (length === 24) mld(c, p);
      else if (length >= 28) {
        c.w(" v2");
        mldv2Query(c, p, length);
      } else c.w(` unknown-version (len ${length}) `);
      break;
    case 131:
    case 132:
      mld(c, p);
      break;
    case 143:
      mldv2Report(c, p, length);
      break;
    case 144:
    case 146:
      c.w(`, id 0x${hex4(c.be16(p + 4))}`);
      break;
    case 145:
      if (c.verbose > 0) {
        c.w(`, id 0x${hex4(c.be16(p + 4))}`);
        for (let a = p + 8; a < p + length; a += 16) c.w(`, ${c.ip6(a)}`);
      }
      break;
    case 147:
      if (c.verbose > 0) {
        c.w(`, id 0x${hex4(c.be16(p + 4))}`);
        const flags = c.be16(p + 6);
        if (flags & 0xc000) c.w(" ");
        if (flags & 0x8000) c.w("M");
        if (flags & 0x4000) c.w("O");
        if (!ndOptions(c, p + 8, length - 8)) return;
      }
      break;
    case 137:
      // The destination (second address) first, then the target.
      c.w(`, ${c.ip6(p + 24)}`);
      c.w(` to ${c.ip6(p + 8)}`);
      if (c.verbose > 0 && !ndOptions(c, p + 40, length - 40)) return;
      break;
    case 141:
    case 142:
      break;
    case 128:
    case 129:
      c.w(`, id ${c.be16(p + 4)}, seq ${c.be16(p + 6)}`);
      break;
    case 133:
      if (c.verbose > 0 && !ndOptions(c, p + 8, length - 8)) return;
      break;
    case 134:
      if (c.verbose > 0) {
        const flags = c.u8(p + 5);
        c.w(
          `\n\thop limit ${c.u8(p + 4)}, Flags [${bitNames(RA_FLAGS, "none", flags)}], pref ${RT_PREF[(flags >> 3) & 3]}, router lifetime ${c.be16(p + 6)}s, reachable time ${c.be32(p + 8)}ms, retrans timer ${c.be32(p + 12)}ms`,
        );
        if (!ndOptions(c, p + 16, length - 16)) return;
      }
      break;
    case 135:
      c.w(`, who has ${c.ip6(p + 8)}`);
      if (c.verbose > 0 && !ndOptions(c, p + 24, length - 24)) return;
      break;
    case 136:
      c.w(`, tgt is ${c.ip6(p + 8)}`);
      if (c.verbose > 0) {
        c.w(`, Flags [${bitNames(NA_FLAGS, "none", c.be32(p + 4))}]`);
        if (!ndOptions(c, p + 24, length - 24)) return;
      }
      break;
    default:
      c.w(`, length ${length}`);
      if (c.verbose <= 1) c.w(unknownData(c, p, length, "\n\t"));
      return;
  }
  if (c.verbose === 0) c.w(`, length ${length}`);
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, "0");
}

let upperProto = 0;

/**
 * get_upperlayer: the TCP or UDP header of the quoted datagram (its
 * protocol in `upperProto`), or -1 when it is not there or not TCP/UDP.
 */
function upperLayer(c: Ctx, ip6: number): number {
  if (!c.has(ip6 + 6, 1)) return -1;
  let nh = c.u8(ip6 + 6);
  let bp = ip6;
  let hlen = 40;
  while (bp < c.end) {
    bp += hlen;
    switch (nh) {
      case 6:
      case 17:
        if (!c.has(bp + 2, 2)) return -1;
        upperProto = nh;
        return bp;
      case 0:
      case 60:
      case 43:
        if (!c.has(bp + 1, 1)) return -1;
        nh = c.u8(bp);
        hlen = (c.u8(bp + 1) + 1) << 3;
        break;
      case 44:
        if (!c.has(bp + 2, 2)) return -1;
        if ((c.be16(bp + 2) & 0xfff8) !== 0) return -1;
        nh = c.u8(bp);
        hlen = 8;
        break;
      case 51:
        if (!c.has(bp + 1, 1)) return -1;
        nh = c.u8(bp);
        hlen = (c.u8(bp + 1) + 2) << 2;
        break;
      default:
        return -1;
    }
  }
  return -1;
}

const PARAM_PROBLEMS = ["erroneous", "next header", "option", "incomplete header chain"];

/** MLDv1: max resp delay and address, when the whole message is there. */
function mld(c: Ctx, p: number): void {
  if (p + 24 > c.end) return;
  c.w(`max resp delay: ${c.be16(p + 4)} addr: ${c.ip6(p + 8)}`);
}

function mldv2Query(c: Ctx, p: number, len: number): void {
  if (len < 28) {
    c.w(` [invalid len ${len}]`);
    return;
  }
  const mrc = c.be16(p + 4);
  const mrt = mrc < 32768 ? mrc : ((mrc & 0x0fff) | 0x1000) * 2 ** (((mrc & 0x7000) >> 12) + 3);
  if (c.verbose > 0) c.w(` [max resp delay=${mrt}]`);
  c.w(` [gaddr ${c.ip6(p + 8)}`);
  if (c.verbose > 0) {
    const s = c.u8(p + 24);
    if (s & 0x08) c.w(" sflag");
    if (s & 0x07) c.w(` robustness=${s & 0x07}`);
    const q = c.u8(p + 25);
    const qqi = q < 128 ? q : ((q & 0x0f) | 0x10) << (((q & 0x70) >> 4) + 3);
    c.w(` qqi=${qqi}`);
  }
  const nsrcs = c.be16(p + 26);
  if (nsrcs > 0) {
    if (len < 28 + nsrcs * 16) c.w(" [invalid number of sources]");
    else if (c.verbose > 1) {
      c.w(" {");
      for (let i = 0; i < nsrcs; i++) c.w(` ${c.ip6(p + 28 + i * 16)}`);
      c.w(" }");
    } else c.w(`, ${nsrcs} source(s)`);
  }
  c.w("]");
}

const MLDV2_RECORDS = ["", "is_in", "is_ex", "to_in", "to_ex", "allow", "block"];

function mldv2Report(c: Ctx, p: number, len: number): void {
  if (len < 8) {
    c.w(` [invalid len ${len}]`);
    return;
  }
  const ngroups = c.be16(p + 6);
  c.w(`, ${ngroups} group record(s)`);
  if (c.verbose === 0) return;
  let group = 8;
  for (let i = 0; i < ngroups; i++) {
    if (len < group + 20) {
      c.w(" [invalid number of groups]");
      return;
    }
    c.w(` [gaddr ${c.ip6(p + group + 4)}`);
    const rtype = c.u8(p + group);
    c.w(` ${MLDV2_RECORDS[rtype] || ` [v2-report-#${rtype}]`}`);
    const nsrcs = c.be16(p + group + 2);
    if (len < group + 20 + nsrcs * 16) {
      c.w(` [invalid number of sources ${nsrcs}]`);
      return;
    }
    if (c.verbose === 1) c.w(`, ${nsrcs} source(s)`);
    else {
      c.w(" {");
      for (let j = 0; j < nsrcs; j++) c.w(` ${c.ip6(p + group + 20 + j * 16)}`);
      c.w(" }");
    }
    group += 20 + nsrcs * 16;
    c.w("]");
  }
}

/** icmp6_opt_print; false when an option runs past the capture (after ` [|icmp6]`). */
function ndOptions(c: Ctx, start: number, resid: number): boolean {
  let cp = start;
  // An int in tcpdump: a Jumbo Payload length past 2^31 makes it negative.
  let left = resid | 0;
  const trunc = () => {
    c.w(` [|${c.proto}]`);
    return false;
  };
  while (cp < c.end) {
    c.u8(cp + 1);
    if (left <= 0) return true;
    const type = c.u8(cp);
    const len = c.u8(cp + 1);
    if (len === 0 || cp + (len << 3) > c.end) return trunc();
    c.w(`\n\t  ${OPT_NAMES[type] ?? "unknown"} option (${type}), length ${len << 3} (${len}): `);
    switch (type) {
      case 1:
      case 2:
        c.w(c.mac(cp + 2, (len << 3) - 2));
        break;
      case 3:
        c.w(
          `${c.ip6(cp + 16)}/${c.u8(cp + 2)}${len !== 4 ? "badlen" : ""}, Flags [${bitNames(PI_FLAGS, "none", c.u8(cp + 3))}], valid time ${lifetime(c.be32(cp + 4))}`,
        );
        c.w(`, pref. time ${lifetime(c.be32(cp + 8))}`);
        break;
      case 4:
        // tcpdump dumps from the first option, not this one.
        c.w(unknownData(c, start, len << 3, "\n\t    "));
        break;
      case 5:
        c.w(` ${c.be32(cp + 4)}${len !== 1 ? "bad option length" : ""}`);
        break;
      case 7:
        c.w(` ${c.be32(cp + 4)}ms`);
        break;
      case 8:
        c.w(` preference ${c.be16(cp + 4)}, lifetime ${c.be16(cp + 6)}`);
        break;
      case 24: {
        c.check(cp + 4, 4);
        if (len > 3) return trunc();
        const prefix = new Uint8Array(16);
        if (len > 1) {
          c.check(cp + 8, (len - 1) * 8);
          prefix.set(c.data.subarray(cp + 8, cp + 8 + (len - 1) * 8));
        }
        c.w(` ${formatIp6(prefix, 0)}/${c.u8(cp + 2)}`);
        c.w(`, pref=${RT_PREF[(c.u8(cp + 3) >> 3) & 3]}`);
        c.w(`, lifetime=${lifetime(c.be32(cp + 4))}`);
        break;
      }
      case 25: {
        c.w(` lifetime ${c.be32(cp + 4)}s,`);
        const n = (len - 1) >> 1;
        for (let i = 0; i < n; i++) c.w(` addr: ${c.ip6(cp + 8 + 16 * i)}`);
        break;
      }
      case 31: {
        c.w(` lifetime ${c.be32(cp + 4)}s, domain(s):`);
        let dom = cp + 8;
        while (dom < cp + (len << 3) && c.u8(dom) !== 0) {
          c.w(" ");
          dom = printName(c, dom, start);
          if (dom < 0) return trunc();
        }
        break;
      }
      default:
        if (c.verbose <= 1) {
          c.w(unknownData(c, cp + 2, (len << 3) - 2, "\n\t  "));
          return true;
        }
    }
    if (c.verbose > 1) c.w(unknownData(c, cp + 2, (len << 3) - 2, "\n\t    "));
    cp += len << 3;
    left -= len << 3;
  }
  return true;
}
