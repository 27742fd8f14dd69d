// IPv6 and its extension headers (tcpdump's print-ip6.c, print-frag6.c,
// print-rt6.c, print-ip6opts.c).

import { type Ctx, T_COLON, T_TO, type Text, text } from "./context.js";
import { demux, IPPROTO_NAMES } from "./ip.js";

const T_IP6 = text("IP6 ");
const T_HLIM = text("hlim ");
const T_HEAD_END = text(") ");
const nextHeaders: (Text | undefined)[] = [];

/** `, next-header NAME (N) payload length: ` for one protocol, made once. */
function nextHeader(nh: number): Text {
  let t = nextHeaders[nh];
  if (t === undefined) {
    t = text(`, next-header ${IPPROTO_NAMES[nh] ?? "unknown"} (${nh}) payload length: `);
    nextHeaders[nh] = t;
  }
  return t;
}

export function printIp6(c: Ctx, p: number, length: number): void {
  c.proto = "ip6";
  c.check(p, 40);
  if (!c.eflag) c.t(T_IP6);
  if (length < 40) {
    c.w(`[length ${length} < 40] (invalid)`);
    return;
  }
  const flow = c.be32(p);
  if (flow >>> 28 !== 6) {
    c.w(`[version ${flow >>> 28} != 6] (invalid)`);
    return;
  }
  const payloadLen = c.be16(p + 4);
  let len: number;
  if (payloadLen !== 0) {
    len = payloadLen + 40;
    if (length < len) c.w(`truncated-ip6 - ${len - length} bytes missing!`);
  } else len = length;
  const nh = c.u8(p + 6);
  if (c.verbose > 0) {
    c.ch(40);
    if (flow & 0x0ff00000) c.w(`class 0x${((flow & 0x0ff00000) >>> 20).toString(16).padStart(2, "0")}, `);
    if (flow & 0x000fffff) c.w(`flowlabel 0x${(flow & 0x000fffff).toString(16).padStart(5, "0")}, `);
    c.t(T_HLIM);
    c.num(c.u8(p + 7));
    c.t(nextHeader(nh));
    c.num(payloadLen);
    c.t(T_HEAD_END);
  }
  const saved = c.end;
  if (p + Math.min(len, length) < c.end) c.end = p + Math.min(len, length);
  try {
    walkHeaders(c, p, len, nh);
  } finally {
    c.end = saved;
  }
}

/** Follows the extension headers to the transport, printing each. */
function walkHeaders(c: Ctx, p: number, len: number, firstNh: number): void {
  let nh = firstNh;
  {
    let cp = p;
    let advance = 40;
    let fragmented = false;
    let left = len;
    let dst6 = p + 24;
    while (cp < c.end && advance > 0) {
      if (left < advance) {
        c.w(` [|${c.proto}]`);
        return;
      }
      cp += advance;
      left -= advance;
      if (cp === p + 40 && nh !== 6 && nh !== 17 && nh !== 33 && nh !== 132) {
        c.check(p + 8, 32);
        c.ip6w(p + 8);
        c.t(T_TO);
        c.ip6w(p + 24);
        c.t(T_COLON);
      }
      switch (nh) {
        case 0:
        case 60:
          advance = printOptionsHeader(c, cp, nh === 0 ? "HBH " : "DSTOPT ");
          nh = c.u8(cp);
          break;
        case 44:
          advance = printFragment(c, cp, p);
          if (advance < 0 || c.end <= cp + advance) return;
          nh = c.u8(cp);
          fragmented = true;
          break;
        case 43:
          c.u8(cp);
          advance = printRouting(c, cp);
          if (advance < 0) return;
          // The final destination: the last address of the routing header.
          if (c.u8(cp + 1) >> 1 > 0) dst6 = cp + 8 + 16 * ((c.u8(cp + 1) >> 1) - 1);
          nh = c.u8(cp);
          break;
        default: {
          const hdrNh = c.u8(p + 6);
          demux(c, cp, left, c.ipInfo().set(true, p, nh, hdrNh, dst6, fragmented));
          return;
        }
      }
      c.proto = "ip6";
    }
  }
}

function printOptionsHeader(c: Ctx, cp: number, name: string): number {
  c.proto = name === "HBH " ? "hbhopt" : "dstopt";
  const hlen = (c.u8(cp + 1) + 1) << 3;
  c.check(cp, hlen);
  c.w(name);
  if (c.verbose > 0) printIp6Options(c, cp + 2, hlen - 2);
  return hlen;
}

function printIp6Options(c: Ctx, bp: number, len: number): void {
  let optlen = 0;
  for (let i = 0; i < len; i += optlen) {
    const type = c.u8(bp + i);
    if (type === 0) optlen = 1;
    else {
      if (i + 1 >= len) {
        truncOpt(c);
        return;
      }
      optlen = c.u8(bp + i + 1) + 2;
    }
    if (i + optlen > len) {
      truncOpt(c);
      return;
    }
    switch (type) {
      case 0:
        c.w("(pad1)");
        break;
      case 1:
        if (len - i < 2) {
          c.w("(padn: trunc)");
          truncOpt(c);
          return;
        }
        c.w("(padn)");
        break;
      case 5:
        if (len - i < 4) {
          c.w("(rtalert: trunc)");
          truncOpt(c);
          return;
        }
        if (c.u8(bp + i + 1) !== 2) {
          c.w(`(rtalert: invalid len ${c.u8(bp + i + 1)})`);
          truncOpt(c);
          return;
        }
        c.w(
          `(rtalert: 0x${c
            .be16(bp + i + 2)
            .toString(16)
            .padStart(4, "0")}) `,
        );
        break;
      default:
        if (len - i < 2) {
          c.w(`(type ${type}: trunc)`);
          truncOpt(c);
          return;
        }
        c.w(`(opt_type 0x${type.toString(16).padStart(2, "0")}: len=${c.u8(bp + i + 1)})`);
    }
  }
  c.w(" ");
}

function truncOpt(c: Ctx): void {
  c.w("[trunc] ");
}

function printFragment(c: Ctx, cp: number, ip6: number): number {
  c.proto = "frag6";
  const offlg = c.be16(cp + 2);
  const plen = 40 + c.be16(ip6 + 4) - (cp - ip6) - 8;
  if (c.verbose > 0) {
    c.w(
      `frag (0x${c
        .be32(cp + 4)
        .toString(16)
        .padStart(8, "0")}:${offlg & 0xfff8}|${plen})`,
    );
  } else c.w(`frag (${offlg & 0xfff8}|${plen})`);
  if ((offlg & 0xfff8) !== 0) return -1;
  c.w(" ");
  return 8;
}

function printRouting(c: Ctx, cp: number): number {
  c.proto = "rt6";
  let len = c.u8(cp + 1);
  const type = c.u8(cp + 2);
  c.w(`RT6 (len=${len}, type=${type}`);
  if (type === 0) c.w(" [Deprecated]");
  c.w(`, segleft=${c.u8(cp + 3)}`);
  if (type !== 0 && type !== 2) {
    c.w(" (unknown type)");
    c.w(` [|${c.proto}]`);
    return -1;
  }
  if (c.verbose > 0) c.w(`, rsv=0x${c.be32(cp + 4).toString(16)}`);
  if (len % 2 === 1) {
    c.w(` [|${c.proto}]`);
    return -1;
  }
  len >>= 1;
  let a = cp + 8;
  for (let i = 0; i < len; i++) {
    c.w(`, [${i}]${c.ip6(a)}`);
    a += 16;
  }
  c.w(") ");
  return (c.u8(cp + 1) + 1) << 3;
}
