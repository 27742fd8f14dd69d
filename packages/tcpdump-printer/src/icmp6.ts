// ICMPv6 (tcpdump's print-icmp6.c): echo, errors, and neighbour discovery
// with its options.

import { bitNames, type Ctx, finishSum, shouldBe, TRUNCATED } from "./context.js";
import { unknownData } from "./hex.js";
import type { IpInfo } from "./ip.js";

const TYPES: Record<number, string> = {
  1: "destination unreachable",
  2: "packet too big",
  3: "time exceeded",
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
  148: "certification path solicitation",
  149: "certification path advertisement",
  151: "multicast router advertisement",
  152: "multicast router solicitation",
  153: "multicast router termination",
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
  [0x04, "proxy"],
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
  if (c.verbose > 0 && (type === 133 || type === 134 || type === 135 || type === 136 || type === 137)) {
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
          const [proto, l4] = upperLayer(c, oip);
          const dport = c.be16(l4 + 2);
          if (proto === 6) c.w(`, ${c.ip6(oip + 24)} tcp port ${dport}`);
          else if (proto === 17) c.w(`, ${c.ip6(oip + 24)} udp port ${dport}`);
          else c.w(`, ${c.ip6(oip + 24)} protocol ${proto} port ${dport} unreachable`);
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
      if (code === 0) {
        c.w(" in-transit");
        c.w(` for ${c.ip6(oip + 24)}`);
      } else if (code === 1) c.w(" (reassembly)");
      else c.w(`, unknown code (${code})`);
      break;
    case 4:
      c.check(oip + 24, 16);
      if (code === 0) c.w(`, erroneous - octet ${c.be32(p + 4)}`);
      else if (code === 1) c.w(`, next header - octet ${c.be32(p + 4)}`);
      else if (code === 2) c.w(`, option - octet ${c.be32(p + 4)}`);
      else c.w(`, code-#${code}`);
      break;
    case 143:
      c.w(`, ${c.be16(p + 6)} group record(s)`);
      break;
    case 128:
    case 129:
      c.w(`, id ${c.be16(p + 4)}, seq ${c.be16(p + 6)}`);
      break;
    case 133:
      if (c.verbose > 0) ndOptions(c, p + 8, length - 8);
      break;
    case 134:
      if (c.verbose > 0) {
        const flags = c.u8(p + 5);
        c.w(
          `\n\thop limit ${c.u8(p + 4)}, Flags [${bitNames(RA_FLAGS, "none", flags)}], pref ${RT_PREF[(flags >> 3) & 3]}, router lifetime ${c.be16(p + 6)}s, reachable time ${c.be32(p + 8)}ms, retrans timer ${c.be32(p + 12)}ms`,
        );
        ndOptions(c, p + 16, length - 16);
      }
      break;
    case 135:
      c.w(`, who has ${c.ip6(p + 8)}`);
      if (c.verbose > 0) ndOptions(c, p + 24, length - 24);
      break;
    case 136:
      c.w(`, tgt is ${c.ip6(p + 8)}`);
      if (c.verbose > 0) {
        c.w(`, Flags [${bitNames(NA_FLAGS, "none", c.be32(p + 4))}]`);
        ndOptions(c, p + 24, length - 24);
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

/** Finds the transport header of the quoted datagram: [protocol, offset]. */
function upperLayer(c: Ctx, ip6: number): [number, number] {
  let nh = c.u8(ip6 + 6);
  let cp = ip6 + 40;
  for (;;) {
    switch (nh) {
      case 0:
      case 60:
      case 43: {
        nh = c.u8(cp);
        cp += (c.u8(cp + 1) + 1) << 3;
        break;
      }
      case 44:
        c.check(cp, 8);
        if ((c.be16(cp + 2) & 0xfff8) !== 0) throw TRUNCATED;
        nh = c.u8(cp);
        cp += 8;
        break;
      default:
        return [nh, cp];
    }
  }
}

function ndOptions(c: Ctx, start: number, resid: number): void {
  let cp = start;
  let left = resid;
  while (cp < c.end) {
    c.u8(cp + 1);
    if (left <= 0) return;
    const type = c.u8(cp);
    const len = c.u8(cp + 1);
    if (len === 0 || cp + (len << 3) > c.end) {
      c.w(` [|${c.proto}]`);
      return;
    }
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
      case 5:
        c.w(` ${c.be32(cp + 4)}${len !== 1 ? "bad option length" : ""}`);
        break;
      default:
        if (c.verbose <= 1) {
          c.w(unknownData(c, cp + 2, (len << 3) - 2, "\n\t  "));
          return;
        }
    }
    if (c.verbose > 1) c.w(unknownData(c, cp + 2, (len << 3) - 2, "\n\t    "));
    cp += len << 3;
    left -= len << 3;
  }
}
