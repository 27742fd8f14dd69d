// Linux cooked captures, as tcpdump's print-sll.c prints them: DLT_LINUX_SLL
// (113, what `-i any` gave before v2) and DLT_LINUX_SLL2 (276, what tcpdump
// 4.99 asks for on `any`). The cooked header replaces the link-layer header
// the device had: packet type, address type, the sender's link-layer
// address, the protocol (an ethertype) and, in v2, the interface index.
//
//   SLL:  u16 pkttype, u16 hatype, u16 halen, 8 bytes address, u16 protocol
//   SLL2: u16 protocol, u16 reserved, u32 ifindex, u16 hatype, u8 pkttype,
//         u8 halen, 8 bytes address

import { type Ctx, TRUNCATED } from "./context.js";
import { etherTypeName, printEtherType, vlanTagText } from "./ether.js";
import { hexAsciiDump } from "./hex.js";

export { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from "@pval/decode";

const SLL_HDR_LEN = 16;
const SLL2_HDR_LEN = 20;
const ETHERTYPE_8021Q = 0x8100;
/** sll_protocol values at or below this are not ethertypes. */
const MAX_ETHERNET_LENGTH_VAL = 1500;
/** ARPHRD_IEEE80211_RADIOTAP: a radiotap header follows. */
const ARPHRD_RADIOTAP = 803;

/** The names of the packet types (Linux PACKET_HOST, _BROADCAST, _MULTICAST, _OTHERHOST, _OUTGOING). */
const PKTTYPE_NAMES = ["In", "B", "M", "P", "Out"];

function pktTypeName(pkttype: number): string {
  return PKTTYPE_NAMES[pkttype] ?? "?";
}

/** Resolves an interface index to its name (if_indextoname); undefined when there is none. */
export type InterfaceNameResolver = (index: number) => string | undefined;

/** The protocol and length part of the -e header, `ethertype IPv4 (0x0800), length 104: `. */
function protocolText(protocol: number, length: number): string {
  let name: string;
  if (protocol > MAX_ETHERNET_LENGTH_VAL) {
    name = `ethertype ${etherTypeName(protocol)} (0x${protocol.toString(16).padStart(4, "0")})`;
  } else if (protocol === 1) name = "802.3";
  else if (protocol === 4) name = "802.2";
  else name = `ethertype Unknown (0x${protocol.toString(16).padStart(4, "0")})`;
  return `${name}, length ${length}: `;
}

/** tcpdump's sll_print: the v1 header, for -e or in front of a payload it cannot print. */
function sllHeader(c: Ctx, base: number, length: number): void {
  c.w(`${pktTypeName(c.be16(base)).padStart(3)} `);
  if (c.be16(base + 4) === 6) {
    c.macw(base + 6);
    c.ch(32);
  }
  c.w(protocolText(c.be16(base + 14), length));
}

/** tcpdump's sll2_print: the v2 header, for -e or in front of a payload it cannot print. */
function sll2Header(c: Ctx, base: number, length: number): void {
  c.w(`ifindex ${c.be32(base + 4)} `);
  if (c.u8(base + 11) === 6) {
    c.macw(base + 12);
    c.ch(32);
  }
  c.w(protocolText(c.be16(base), length));
}

/**
 * The payload after a cooked header: VLAN tags, then the protocol's
 * printer, or the header (when -e did not print it already; `header` gets
 * the payload length) and a hex dump for protocols without one. Returns the
 * link header length (for -x).
 */
function printCookedPayload(
  c: Ctx,
  base: number,
  hdrlen: number,
  origlen: number,
  protocol: number,
  header: (length: number) => void,
): number {
  let pos = base + hdrlen;
  // Unsigned, as in C: a wire length shorter than the header wraps.
  let length = (origlen - hdrlen) >>> 0;
  let caplen = c.end - pos;
  let type = protocol;
  for (;;) {
    if (type <= MAX_ETHERNET_LENGTH_VAL) {
      // Novell 802.3 (1) and 802.2 LLC (4) frames have no printer here: raw bytes, as for any unknown type.
      if (!c.suppressDefault) c.w(hexAsciiDump(c, pos, caplen, "\n\t"));
      return hdrlen;
    }
    if (type !== ETHERTYPE_8021Q) break;
    if (caplen < 4) {
      c.proto = "vlan";
      c.w(" [|vlan]");
      return hdrlen + caplen;
    }
    if (c.eflag) c.w(`${vlanTagText(c.be16(pos))}, `);
    type = c.be16(pos + 2);
    if (type <= MAX_ETHERNET_LENGTH_VAL) type = 4;
    c.w(`ethertype ${etherTypeName(type)}, `);
    pos += 4;
    length = (length - 4) >>> 0;
    caplen -= 4;
    hdrlen += 4;
  }
  if (!printEtherType(c, type, pos, length)) {
    if (!c.eflag) header(length);
    if (!c.suppressDefault) c.w(hexAsciiDump(c, pos, caplen, "\n\t"));
  }
  return hdrlen;
}

/** Prints a DLT_LINUX_SLL packet; returns the link header length. */
export function printSll(c: Ctx, base: number, origlen: number): number {
  c.proto = "sll";
  if (c.end - base < SLL_HDR_LEN) throw TRUNCATED;
  if (c.eflag) sllHeader(c, base, origlen);
  if (c.be16(base + 2) === ARPHRD_RADIOTAP) return radiotap(c, base + SLL_HDR_LEN, SLL_HDR_LEN);
  return printCookedPayload(c, base, SLL_HDR_LEN, origlen, c.be16(base + 14), (length) =>
    sllHeader(c, base, (length + SLL_HDR_LEN) >>> 0),
  );
}

/** Prints a DLT_LINUX_SLL2 packet, the interface named by `interfaceName`; returns the link header length. */
export function printSll2(c: Ctx, base: number, origlen: number, interfaceName: InterfaceNameResolver): number {
  c.proto = "sll2";
  if (c.end - base < SLL2_HDR_LEN) throw TRUNCATED;
  c.w(`${(interfaceName(c.be32(base + 4)) ?? "?").padEnd(5)} `);
  c.w(`${pktTypeName(c.u8(base + 10)).padEnd(3)} `);
  if (c.eflag) sll2Header(c, base, origlen);
  if (c.be16(base + 8) === ARPHRD_RADIOTAP) return radiotap(c, base + SLL2_HDR_LEN, SLL2_HDR_LEN);
  return printCookedPayload(c, base, SLL2_HDR_LEN, origlen, c.be16(base), (length) =>
    sll2Header(c, base, (length + SLL2_HDR_LEN) >>> 0),
  );
}

/** 802.11 frames behind a radiotap header have no printer here: their bytes, raw. */
function radiotap(c: Ctx, pos: number, hdrlen: number): number {
  if (!c.suppressDefault) c.w(hexAsciiDump(c, pos, c.end - pos, "\n\t"));
  return hdrlen;
}
