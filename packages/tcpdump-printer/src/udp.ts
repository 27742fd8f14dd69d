// UDP (tcpdump's print-udp.c): ports, checksum (IPv4 at -vv, IPv6 at -v),
// DNS on port 53, and the generic `UDP, length N` otherwise.

import { type Ctx, type IpInfo, shouldBe, T_COLON, T_TO, text } from "./context.js";
import { printDns } from "./dns.js";
import { transportSum } from "./tcp.js";

const T_SUM_OK = text("[udp sum ok] ");
const T_UDP_LENGTH = text("UDP, length ");

function addrPorts(c: Ctx, ip: IpInfo, sport: number, dport: number): void {
  const v6 = ip.v6;
  if (ip.hdrNh === 17) {
    // Both addresses are checked before either is printed.
    c.check(ip.hdr + (v6 ? 8 : 12), v6 ? 32 : 8);
    if (v6) c.ip6w(ip.hdr + 8);
    else c.ip4w(ip.hdr + 12);
    if (sport >= 0) {
      c.ch(46);
      c.num(sport);
    }
    c.t(T_TO);
    if (v6) c.ip6w(ip.hdr + 24);
    else c.ip4w(ip.hdr + 16);
    if (sport >= 0) {
      c.ch(46);
      c.num(dport);
    }
    c.t(T_COLON);
  } else if (sport >= 0) {
    c.num(sport);
    c.t(T_TO);
    c.num(dport);
    c.t(T_COLON);
  }
}

export function printUdp(c: Ctx, p: number, length: number, ip: IpInfo): void {
  c.proto = "udp";
  if (!c.has(p + 2, 2)) {
    addrPorts(c, ip, -1, -1);
    c.w(" [|udp]");
    return;
  }
  const sport = c.be16(p);
  const dport = c.be16(p + 2);
  if (length < 8) {
    addrPorts(c, ip, sport, dport);
    c.w(`truncated-udp ${length}`);
    return;
  }
  if (!c.has(p + 4, 2)) {
    addrPorts(c, ip, sport, dport);
    c.w(" [|udp]");
    return;
  }
  let ulen = c.be16(p + 4);
  if (ulen === 0 && length > 65535) ulen = length;
  if (ulen < 8) {
    addrPorts(c, ip, sport, dport);
    c.w(`truncated-udplength ${ulen}`);
    return;
  }
  ulen -= 8;
  let len = length - 8;
  if (ulen < len) len = ulen;
  const cp = p + 8;
  if (cp > c.end) {
    addrPorts(c, ip, sport, dport);
    c.w(" [|udp]");
    return;
  }
  addrPorts(c, ip, sport, dport);
  if (c.verbose > 0 && !ip.fragmented) {
    if (!ip.v6 && c.verbose > 1) {
      const field = c.be16(p + 6);
      if (field === 0) c.w("[no cksum] ");
      else if (c.has(cp, len)) {
        const sum = transportSum(c, ip, 17, p, len + 8);
        if (sum !== 0) c.w(`[bad udp cksum 0x${hex4(field)} -> 0x${hex4(shouldBe(field, sum))}!] `);
        else c.t(T_SUM_OK);
      }
    } else if (ip.v6 && c.has(cp, len)) {
      const sum = transportSum(c, ip, 17, p, len + 8);
      const field = c.be16(p + 6);
      if (sum !== 0) c.w(`[bad udp cksum 0x${hex4(field)} -> 0x${hex4(shouldBe(field, sum))}!] `);
      else c.t(T_SUM_OK);
    }
  }
  if (!c.quiet && (sport === 53 || dport === 53)) {
    printDns(c, cp, len, false);
    return;
  }
  if (ulen > len && !ip.fragmented) c.w(`UDP, bad length ${ulen} > ${len}`);
  else {
    c.t(T_UDP_LENGTH);
    c.num(ulen);
  }
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, "0");
}
