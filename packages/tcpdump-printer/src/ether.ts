// Ethernet II, 802.1Q/802.1ad tags and ARP, as tcpdump's print-ether.c and
// print-arp.c print them.

import { type Ctx, T_COLON, T_LENGTH, T_TO, type Text, TRUNCATED, text } from "./context.js";
import { hexAsciiDump } from "./hex.js";
import { printIp } from "./ip.js";
import { printIp6 } from "./ip6.js";

const ETHERTYPE_NAMES: Record<number, string> = {
  254: "GRE-OSI",
  512: "PUP",
  1280: "Sprite",
  1536: "NS",
  1799: "GeoNet (old)",
  2048: "IPv4",
  2054: "ARP",
  4096: "Trail",
  4369: "CALM FAST",
  24577: "MOP DL",
  24578: "MOP RC",
  24579: "DN",
  24580: "LAT",
  24583: "SCA",
  25944: "TEB",
  32821: "Reverse ARP",
  32824: "Lanbridge",
  32828: "DEC DNS",
  32830: "DEC DTS",
  32859: "VEXP",
  32860: "VPROD",
  32923: "Appletalk",
  33011: "Appletalk ARP",
  33024: "802.1Q",
  33079: "IPX",
  34525: "IPv6",
  34824: "MPCP",
  34825: "Slow Protocols",
  34827: "PPP",
  34887: "MPLS unicast",
  34888: "MPLS multicast",
  34915: "PPPoE D",
  34916: "PPPoE S",
  34927: "MS NLB heartbeat",
  34928: "Jumbo",
  34958: "EAPOL",
  34969: "Realtek protocols",
  34978: "AoE",
  34984: "802.1Q-QinQ",
  35018: "TIPC",
  35020: "LLDP",
  35045: "802.1AE MACsec",
  35063: "PTP",
  35074: "CFM",
  35130: "IEEE1905.1",
  35143: "GeoNet",
  35151: "NSH",
  36864: "Loopback",
  37120: "802.1Q-9100",
  37376: "802.1Q-9200",
  43981: "CFM (old)",
  53899: "Arista Vendor Specific Protocol",
  65278: "OSI",
};

/** tcpdump's name of an ethertype (`IPv4`), `Unknown` when it has none. */
export function etherTypeName(type: number): string {
  return ETHERTYPE_NAMES[type] ?? "Unknown";
}

/** `ethertype NAME (0xNNNN)`; with -q only the name, or `Unknown Ethertype (0xNNNN)`. */
function etherTypeText(type: number, quiet: boolean): string {
  const hex = type.toString(16).padStart(4, "0");
  if (quiet) return ETHERTYPE_NAMES[type] ?? `Unknown Ethertype (0x${hex})`;
  return `ethertype ${etherTypeName(type)} (0x${hex})`;
}

/** An 802.1Q tag control word as tcpdump's ieee8021q_tci_string writes it. */
export function vlanTagText(tci: number): string {
  return `vlan ${tci & 0xfff}, p ${tci >> 13}${tci & 0x1000 ? ", DEI" : ""}`;
}

const etherTypeTexts = new Map<number, Text>();

/** `ethertype NAME (0xNNNN), length ` for one type (and -q or not), made once. */
function etherTypeLength(type: number, quiet: boolean): Text {
  const key = quiet ? type + 0x10000 : type;
  let t = etherTypeTexts.get(key);
  if (t === undefined) {
    t = text(`${etherTypeText(type, quiet)}, length `);
    etherTypeTexts.set(key, t);
  }
  return t;
}

const T_COMMA = text(", ");

function isVlan(type: number): boolean {
  return type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200;
}

/**
 * Prints an Ethernet frame; returns the link header length (for -x, which
 * dumps only what follows it).
 */
export function printEther(c: Ctx, base: number, origlen: number): number {
  const caplen = c.end - base;
  c.proto = "ether";
  if (caplen < 14 || origlen < 14) {
    c.w(" [|ether]");
    return caplen;
  }
  if (c.eflag) {
    c.macw(base + 6);
    c.t(T_TO);
    c.macw(base);
    c.t(T_COMMA);
  }
  let length = origlen - 14;
  let pos = base + 12;
  let hdrlen = 14;
  let printedLength = false;
  let type = c.be16(pos);
  pos += 2;
  while (isVlan(type)) {
    if (c.end - pos < 4 || length < 4) {
      c.proto = "vlan";
      c.w(" [|vlan]");
      return caplen;
    }
    if (c.eflag) {
      const tci = c.be16(pos);
      c.w(etherTypeText(type, c.quiet));
      c.w(printedLength ? ", " : `, length ${origlen}: `);
      printedLength = true;
      c.w(`${vlanTagText(tci)}, `);
    }
    type = c.be16(pos + 2);
    pos += 4;
    length -= 4;
    hdrlen += 4;
  }
  if (type <= 1500) {
    // IEEE 802.3 length field: an LLC frame, which this printer does not decode.
    if (c.eflag) c.w(`802.3, length ${type}: `);
    else c.w(`${c.mac(base + 6)} > ${c.mac(base)}, 802.3, length ${type}: `);
    if (!c.suppressDefault) c.w(hexAsciiDump(c, pos, c.end - pos, "\n\t"));
    return hdrlen;
  }
  if (c.eflag) {
    if (printedLength) {
      c.w(etherTypeText(type, c.quiet));
      c.t(T_COMMA);
    } else {
      c.t(etherTypeLength(type, c.quiet));
      c.num(origlen);
      c.t(T_COLON);
    }
  }
  if (!printEtherType(c, type, pos, length)) {
    if (!c.eflag) c.w(`${c.mac(base + 6)} > ${c.mac(base)}, ${etherTypeText(type, c.quiet)}, length ${origlen}: `);
    if (!c.suppressDefault) c.w(hexAsciiDump(c, pos, Math.min(length, c.end - pos), "\n\t"));
  }
  return hdrlen;
}

/** Prints the payload of one ethertype; false when the type has no printer here. */
export function printEtherType(c: Ctx, type: number, pos: number, length: number): boolean {
  if (type !== 0x0800 && type !== 0x86dd && type !== 0x0806 && type !== 0x8035) return false;
  try {
    if (type === 0x0800) printIp(c, pos, length);
    else if (type === 0x86dd) printIp6(c, pos, length);
    else printArp(c, pos, length);
  } catch (err) {
    // A fetch past the capture, tcpdump's longjmp: end the line with ` [|proto]`.
    if (err !== TRUNCATED) throw err;
    c.jumped = true;
    c.w(` [|${c.proto}]`);
  }
  return true;
}

const ARP_OPS: Record<number, string> = {
  1: "Request",
  2: "Reply",
  3: "Reverse Request",
  4: "Reverse Reply",
  8: "Inverse Request",
  9: "Inverse Reply",
  10: "NACK Reply",
};

const ARP_HRD: Record<number, string> = {
  1: "Ethernet",
  6: "TokenRing",
  7: "ArcNet",
  15: "FrameRelay",
  23: "Strip",
  24: "IEEE 1394",
  32: "InfiniBand",
};

const T_ARP = text("ARP, ");
const T_ARP_ETHER_IPV4 = text("Ethernet (len 6), IPv4 (len 4), ");
const T_WHO_HAS = text("Request who-has ");
const T_REPLY = text("Reply ");
const T_OPEN = text(" (");
const T_TELL = text(" tell ");
const T_IS_AT = text(" is-at ");

function printArp(c: Ctx, p: number, length: number): void {
  c.proto = "arp";
  c.check(p, 8);
  const hrd = c.be16(p);
  const pro = c.be16(p + 2);
  const hln = c.u8(p + 4);
  const pln = c.u8(p + 5);
  const op = c.be16(p + 6);
  const sha = p + 8;
  const spa = sha + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  c.check(tpa, pln);
  if (!c.eflag) c.t(T_ARP);
  if (pro === 0x0800 && pln === 4 && hln === 6 && hrd === 1 && (op === 1 || op === 2)) {
    // Ethernet and IPv4, the common case; every address was checked above.
    if (c.verbose > 0) c.t(T_ARP_ETHER_IPV4);
    if (op === 1) {
      c.t(T_WHO_HAS);
      c.ip4w(tpa);
      let nonzero = false;
      for (let i = 0; i < hln; i++) if (c.data[tha + i] !== 0) nonzero = true;
      if (nonzero) {
        c.t(T_OPEN);
        c.macw(tha);
        c.ch(41);
      }
      c.t(T_TELL);
      c.ip4w(spa);
    } else {
      c.t(T_REPLY);
      c.ip4w(spa);
      c.t(T_IS_AT);
      c.macw(sha);
    }
    c.t(T_LENGTH);
    c.num(length);
    return;
  }
  const wrong = pro !== 0x0800 && pro !== 0x1000;
  if (wrong || pln !== 4 || hln === 0 || c.verbose > 0) {
    const hw = ARP_HRD[hrd] ?? `Unknown Hardware (${hrd})`;
    const pr = ETHERTYPE_NAMES[pro] ?? `Unknown Protocol (0x${pro.toString(16).padStart(4, "0")})`;
    c.w(`${hw} (len ${hln}), ${pr} (len ${pln})`);
    if (c.verbose === 0) {
      c.w(`, length ${length}`);
      return;
    }
  }
  c.w(`${c.verbose > 0 ? ", " : ""}${ARP_OPS[op] ?? `Unknown (${op})`} `);
  // tpaddr_print_ip / spaddr_print_ip
  const ip = (off: number) => (wrong ? "<wrong proto type>" : pln !== 4 ? "<wrong len>" : c.ip4(off));
  const hw = (off: number) => (hln === 0 ? "<empty>" : c.mac(off, hln));
  switch (op) {
    case 1: {
      c.w(`who-has ${ip(tpa)}`);
      let nonzero = false;
      for (let i = 0; i < hln; i++) if (c.u8(tha + i) !== 0) nonzero = true;
      if (nonzero) c.w(` (${hw(tha)})`);
      c.w(` tell ${ip(spa)}`);
      break;
    }
    case 2:
      c.w(`${ip(spa)} is-at ${hw(sha)}`);
      break;
    case 3:
    case 8:
      c.w(`who-is ${hw(tha)}`);
      c.w(` tell ${hw(sha)}`);
      break;
    case 4:
      c.w(`${hw(tha)} at ${ip(tpa)}`);
      break;
    case 9:
      c.w(`${hw(sha)} at ${ip(spa)}`);
      break;
    default:
      // ND_DEFAULTPRINT: printed even with -x.
      c.w(hexAsciiDump(c, p, c.end - p, "\n\t"));
      return;
  }
  c.w(`, length ${length}`);
}
