// The Internet checksum (RFC 1071) and checks of the checksums in a decoded frame.
// Byte order: the sum runs over 16-bit words in network order.

import type { Packet } from "./frame.js";
import { IpProtocol } from "./frame.js";

/** One's-complement sum of `bytes[start, end)` added to `initial`, folded to 16 bits (not complemented). */
export function onesComplementSum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum field value for `bytes[start, end)` with that field zeroed. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return ~onesComplementSum(bytes, start, end, initial) & 0xffff;
}

/** The pseudo-header sum that TCP, UDP and ICMPv6 add to their checksum. */
export function pseudoHeaderSum(packet: Packet, protocol: number, length: number): number {
  let sum = protocol + (length & 0xffff) + (length >>> 16);
  if (packet.ipv4) {
    const a = packet.ipv4.src;
    const b = packet.ipv4.dst;
    sum += (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff);
  } else if (packet.ipv6) {
    sum = onesComplementSum(packet.ipv6.src, 0, 16, sum);
    // With a routing header the pseudo-header carries the final destination:
    // the last address of a type 0 or 2 header that has segments left.
    let finalDst = packet.ipv6.dst;
    for (const e of packet.ipv6.extensions) {
      if (e.kind === "routing" && e.segmentsLeft > 0 && e.addresses.length > 0) {
        finalDst = e.addresses[e.addresses.length - 1]!;
      }
    }
    sum = onesComplementSum(finalDst, 0, 16, sum);
  }
  return sum;
}

/** Verdicts of {@link verifyChecksums}: `undefined` when a checksum is absent or cannot be checked. */
export interface ChecksumReport {
  /** The IPv4 header checksum. */
  ip: boolean | undefined;
  /** The TCP, UDP, ICMP or ICMPv6 checksum. */
  transport: boolean | undefined;
}

/**
 * Checks the checksums of a decoded packet against `bytes`, the input it was
 * decoded from. A checksum is checked only when all the bytes it covers were
 * captured and the packet is not a fragment; a UDP-over-IPv4 checksum of 0
 * means "none".
 */
export function verifyChecksums(bytes: Uint8Array, packet: Packet): ChecksumReport {
  const report: ChecksumReport = { ip: undefined, transport: undefined };
  let l4Start: number;
  let l4Length: number;
  let protocol: number;
  const v4 = packet.ipv4;
  const v6 = packet.ipv6;
  if (v4) {
    if (packet.malformed?.layer === "ipv4" && packet.malformed.code !== "BAD_OPTION_LENGTH") return report;
    if (v4.offset + v4.headerLength > bytes.length) return report;
    report.ip = onesComplementSum(bytes, v4.offset, v4.offset + v4.headerLength) === 0xffff;
    if (v4.mf || v4.fragmentOffset !== 0) return report;
    l4Start = v4.offset + v4.headerLength;
    l4Length = v4.totalLength - v4.headerLength;
    protocol = v4.protocol;
  } else if (v6) {
    if (v6.extensions.some((e) => e.kind === "fragment")) return report;
    l4Start = v6.offset + v6.headerLength;
    l4Length = v6.payloadLength - (v6.headerLength - 40);
    protocol = v6.protocol;
  } else {
    return report;
  }
  if (l4Length < 0 || l4Start + l4Length > bytes.length) return report;
  if (packet.tcp && protocol === IpProtocol.TCP) {
    const sum = pseudoHeaderSum(packet, protocol, l4Length);
    report.transport = onesComplementSum(bytes, l4Start, l4Start + l4Length, sum) === 0xffff;
  } else if (packet.udp && protocol === IpProtocol.UDP) {
    if (v4 && packet.udp.checksum === 0) return report;
    const sum = pseudoHeaderSum(packet, protocol, l4Length);
    report.transport = onesComplementSum(bytes, l4Start, l4Start + l4Length, sum) === 0xffff;
  } else if (packet.icmp && protocol === IpProtocol.ICMP) {
    report.transport = onesComplementSum(bytes, l4Start, l4Start + l4Length) === 0xffff;
  } else if (packet.icmpv6 && protocol === IpProtocol.ICMPV6) {
    const sum = pseudoHeaderSum(packet, protocol, l4Length);
    report.transport = onesComplementSum(bytes, l4Start, l4Start + l4Length, sum) === 0xffff;
  }
  return report;
}
