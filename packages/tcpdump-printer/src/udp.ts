// UDP (tcpdump's print-udp.c): ports, checksum (IPv4 at -vv, IPv6 at -v),
// DNS on port 53, and the generic `UDP, length N` otherwise.

import { type Ctx, shouldBe } from "./context.js";
import { printDns } from "./dns.js";
import type { IpInfo } from "./ip.js";
import { transportSum } from "./tcp.js";

function addrPorts(c: Ctx, ip: IpInfo, sport: number, dport: number): void {
  const v6 = ip.v6;
  if (ip.hdrNh === 17) {
    const s = v6 ? c.ip6(ip.hdr + 8) : c.ip4(ip.hdr + 12);
    const d = v6 ? c.ip6(ip.hdr + 24) : c.ip4(ip.hdr + 16);
    c.w(s);
    if (sport >= 0) {
      c.w(".");
      c.num(sport);
    }
    c.w(" > ");
    c.w(d);
    if (sport >= 0) {
      c.w(".");
      c.num(dport);
    }
    c.w(": ");
  } else if (sport >= 0) c.w(`${sport} > ${dport}: `);
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
        c.w(sum !== 0 ? `[bad udp cksum 0x${hex4(field)} -> 0x${hex4(shouldBe(field, sum))}!] ` : "[udp sum ok] ");
      }
    } else if (ip.v6 && c.has(cp, len)) {
      const sum = transportSum(c, ip, 17, p, len + 8);
      const field = c.be16(p + 6);
      c.w(sum !== 0 ? `[bad udp cksum 0x${hex4(field)} -> 0x${hex4(shouldBe(field, sum))}!] ` : "[udp sum ok] ");
    }
  }
  if (sport === 53 || dport === 53) {
    printDns(c, cp, len, false);
    return;
  }
  if (ulen > len && !ip.fragmented) c.w(`UDP, bad length ${ulen} > ${len}`);
  else {
    c.w("UDP, length ");
    c.num(ulen);
  }
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, "0");
}
