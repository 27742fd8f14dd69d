// ICMP for IPv4 (tcpdump's print-icmp.c): echo, unreachable, redirect, time
// exceeded and the other common types; error messages print the datagram
// they quote at -v.

import { type Ctx, finishSum, type IpInfo, shouldBe, T_LENGTH, T_SEQ, text } from "./context.js";
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
      str = unreachText(c, code, oip, p);
      break;
    case 5: {
      const fmt = REDIRECT[code] ?? `redirect-#${code} %s to %s`;
      const dst = c.ip4(oip + 16);
      str = fmt.replace("%s", dst).replace("%s", c.ip4(p + 4));
      break;
    }
    case 11:
      c.u8(oip + 16);
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
    try {
      printIp(c, oip, c.be16(oip + 2));
    } finally {
      c.end = saved;
    }
  }
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
