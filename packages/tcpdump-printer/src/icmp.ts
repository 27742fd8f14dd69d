// ICMP for IPv4 (tcpdump's print-icmp.c): echo, unreachable, redirect, time
// exceeded and the other common types; error messages print the datagram
// they quote at -v.

import { type Ctx, finishSum, type IpInfo, shouldBe, T_LENGTH, T_SEQ, text } from "./context.js";
import { unknownData } from "./hex.js";
import { printIp } from "./ip.js";

const UNREACH: Record<number, string> = {
  5: "%s unreachable - source route failed",
  6: "net %s unreachable - unknown",
  7: "host %s unreachable - unknown",
  8: "%s unreachable - source host isolated",
  9: "net %s unreachable - admin prohibited",
  10: "host %s unreachable - admin prohibited",
  11: "net %s unreachable - tos prohibited",
  12: "host %s unreachable - tos prohibited",
  13: "host %s unreachable - admin prohibited filter",
  14: "host %s unreachable - host precedence violation",
  15: "host %s unreachable - precedence cutoff",
};

const REDIRECT = [
  "redirect %s to net %s",
  "redirect %s to host %s",
  "redirect-tos %s to net %s",
  "redirect-tos %s to host %s",
];

const SIMPLE: Record<number, string> = {
  4: "source quench",
  10: "router solicitation",
  15: "information request",
  16: "information reply",
  17: "address mask request",
};

const T_REQUEST = text("ICMP echo request, id ");
const T_REPLY = text("ICMP echo reply, id ");

function isError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

export function printIcmp(c: Ctx, p: number, length: number, ip: IpInfo): void {
  c.proto = "icmp";
  const type = c.u8(p);
  const code = c.u8(p + 1);
  const oip = p + 8;
  let str: string;
  switch (type) {
    case 0:
    case 8: {
      const id = c.be16(p + 4);
      const seq = c.be16(p + 6);
      c.t(type === 8 ? T_REQUEST : T_REPLY);
      c.num(id);
      c.t(T_SEQ);
      c.num(seq);
      c.t(T_LENGTH);
      c.num(length);
      str = "";
      break;
    }
    case 3:
      if (code === 3 && !c.has(oip + 9, 1)) {
        c.w(" [|icmp]");
        return;
      }
      str = unreachText(c, code, oip, p);
      break;
    case 5: {
      const fmt = REDIRECT[code] ?? `redirect-#${code} %s to %s`;
      const dst = c.ip4(oip + 16);
      str = fmt.replace("%s", dst).replace("%s", c.ip4(p + 4));
      break;
    }
    case 9: {
      const adv = routerAdvert(c, p);
      if (adv === undefined) {
        c.w(" [|icmp]");
        return;
      }
      str = adv;
      break;
    }
    case 11:
      if (!c.has(oip + 16, 4)) {
        c.w(" [|icmp]");
        return;
      }
      str =
        code === 0 ? "time exceeded in-transit" : code === 1 ? "ip reassembly time exceeded" : `time exceeded-#${code}`;
      break;
    case 12:
      str = code ? `parameter problem - code ${code}` : `parameter problem - octet ${c.u8(p + 4)}`;
      break;
    case 13:
      str = `time stamp query id ${c.be16(p + 4)} seq ${c.be16(p + 6)}`;
      break;
    case 14:
      if (!c.has(p + 16, 4)) {
        c.w(" [|icmp]");
        return;
      }
      str = `time stamp reply id ${c.be16(p + 4)} seq ${c.be16(p + 6)}: org ${msTime(c.be32(p + 8))}, recv ${msTime(c.be32(p + 12))}, xmit ${msTime(c.be32(p + 16))}`;
      break;
    case 18:
      str = `address mask is 0x${c
        .be32(p + 8)
        .toString(16)
        .padStart(8, "0")}`;
      break;
    default:
      str = SIMPLE[type] ?? `type-#${type}`;
  }
  if (str !== "") c.w(`ICMP ${str}, length ${length}`);
  if (c.verbose > 0 && !ip.fragmented && c.has(p, length)) {
    const sum = finishSum(c.sum(p, length));
    if (sum !== 0) {
      const field = c.be16(p + 2);
      c.w(` (wrong icmp cksum ${field.toString(16)} (->${shouldBe(field, sum).toString(16)})!)`);
    }
  }
  if (c.verbose > 0 && isError(type)) {
    c.w("\n\t");
    const saved = c.end;
    // The quoted datagram's length cuts the capture before it is read again:
    // a length below 4 cuts off its own field (tcpdump then stops at [|icmp]).
    const quotedLen = c.be16(oip + 2);
    if (oip + quotedLen < c.end) c.end = oip + quotedLen;
    try {
      printIp(c, oip, c.be16(oip + 2));
    } finally {
      c.end = saved;
    }
  }
  c.proto = "icmp";
  if (c.verbose > 0 && length > 136 && (type === 3 || type === 11 || type === 12)) multipart(c, p, length);
}

const EXT_OBJECTS: Record<number, string> = { 1: "MPLS Stack Entry", 2: "Interface Identification" };

/** RFC 4884 multi-part extensions after the 128 bytes of the quoted datagram. */
function multipart(c: Ctx, p: number, length: number): void {
  if (!c.has(p, 141)) {
    c.w(" [|icmp]");
    return;
  }
  const ext = p + 136;
  // Without a length field an extension is there only if its checksum holds.
  if (c.u8(p + 5) === 0 && c.has(ext, length - 136) && finishSum(c.sum(ext, length - 136)) !== 0) return;
  const version = c.u8(ext) >> 4;
  c.w(`\n\tICMP Multi-Part extension v${version}`);
  if (version !== 2) {
    c.w(" packet not supported");
    return;
  }
  let hlen = length - 136;
  if (c.has(ext, hlen)) {
    const bad = finishSum(c.sum(ext, hlen)) !== 0;
    c.w(
      `, checksum 0x${c
        .be16(ext + 2)
        .toString(16)
        .padStart(4, "0")} (${bad ? "in" : ""}correct), length ${hlen}`,
    );
  }
  hlen = (hlen - 4) >>> 0;
  let obj = ext + 4;
  while (hlen > 4) {
    if (!c.has(obj, 4)) {
      c.w(" [|icmp]");
      return;
    }
    const objLen = c.be16(obj);
    const cls = c.u8(obj + 2);
    const ctype = c.u8(obj + 3);
    obj += 4;
    c.w(`\n\t  ${EXT_OBJECTS[cls] ?? "unknown"} Object (${cls}), Class-Type: ${ctype}, length ${objLen}`);
    hlen -= 4;
    if (cls === 0 || objLen < 4) return;
    const tlen = objLen - 4;
    if (cls === 1 && ctype === 1) {
      const raw = c.be32(obj);
      c.w(`\n\t    label ${raw >>> 12}, tc ${(raw >>> 9) & 7}${raw & 0x100 ? ", [S]" : ""}, ttl ${raw & 0xff}`);
    } else c.w(unknownData(c, obj, tlen, "\n\t    "));
    if (hlen < tlen) break;
    hlen -= tlen;
    obj += tlen;
  }
}

/** Router advertisement (RFC 1256): lifetime and addresses; undefined when cut short. */
function routerAdvert(c: Ctx, p: number): string | undefined {
  if (!c.has(p + 4, 4)) return undefined;
  const life = c.be16(p + 6);
  const pad = (n: number) => String(n).padStart(2, "0");
  let s = "router advertisement lifetime ";
  if (life < 60) s += `${life}`;
  else if (life < 3600) s += `${Math.floor(life / 60)}:${pad(life % 60)}`;
  else s += `${Math.floor(life / 3600)}:${pad(Math.floor((life % 3600) / 60))}:${pad(life % 60)}`;
  const num = c.u8(p + 4);
  s += ` ${num}:`;
  const size = c.u8(p + 5);
  if (size !== 2) return `${s} [size ${size}]`;
  for (let i = 0, a = p + 8; i < num; i++, a += 8) {
    if (!c.has(a, 8)) return undefined;
    s += ` {${c.ip4(a)} ${c.be32(a + 4)}}`;
  }
  return s;
}

/** Milliseconds since midnight UTC as HH:MM:SS.mmm (hours may pass 23). */
function msTime(ms: number): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const sec = Math.floor(ms / 1000);
  return `${pad(Math.floor(sec / 3600))}:${pad(Math.floor(sec / 60) % 60)}:${pad(sec % 60)}.${pad(ms % 1000, 3)}`;
}

function unreachText(c: Ctx, code: number, oip: number, p: number): string {
  const dst = () => c.ip4(oip + 16);
  switch (code) {
    case 0:
      return `net ${dst()} unreachable`;
    case 1:
      return `host ${dst()} unreachable`;
    case 2:
      return `${dst()} protocol ${c.u8(oip + 9)} unreachable`;
    case 3: {
      const proto = c.u8(oip + 9);
      const hlen = (c.u8(oip) & 0x0f) * 4;
      const dport = c.be16(oip + hlen + 2);
      if (proto === 6) return `${dst()} tcp port ${dport} unreachable`;
      if (proto === 17) return `${dst()} udp port ${dport} unreachable`;
      return `${dst()} protocol ${proto} port ${dport} unreachable`;
    }
    case 4: {
      const mtu = c.be16(p + 6);
      return mtu ? `${dst()} unreachable - need to frag (mtu ${mtu})` : `${dst()} unreachable - need to frag`;
    }
    default:
      return (UNREACH[code] ?? `%s unreachable - #${code}`).replace("%s", dst());
  }
}
