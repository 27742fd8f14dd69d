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
  if (!c.has(p, 40)) {
    c.w(" [|ip6]");
    return;
  }
  if (length < 40) {
    c.w(`truncated-ip6 ${length}`);
    return;
  }
  if (!c.eflag) c.t(T_IP6);
  const flow = c.be32(p);
  if (flow >>> 28 !== 6) {
    c.w(`version error: ${flow >>> 28} != 6`);
    return;
  }
  const payloadLen = c.be16(p + 4);
  let len: number;
  if (payloadLen !== 0) {
    len = payloadLen + 40;
    if (length < len) c.w(`truncated-ip6 - ${len - length} bytes missing!`);
  } else len = length + 40; // until a Jumbo Payload option says otherwise
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
  if (p + len < c.end) c.end = p + len;
  try {
    walkHeaders(c, p, len, length, nh, payloadLen, saved);
  } finally {
    c.end = saved;
  }
}

/** What the hop-by-hop options say about the payload length (RFC 2675 Jumbo Payload). */
interface Jumbo {
  found: boolean;
  payloadLen: number;
}

const jumbo: Jumbo = { found: false, payloadLen: 0 };

/**
 * Follows the extension headers to the transport, printing each, as
 * ip6_print does. `outerEnd` is the capture end before this header's own
 * cut (a Jumbo Payload option moves the cut within it).
 */
function walkHeaders(
  c: Ctx,
  p: number,
  total: number,
  length: number,
  firstNh: number,
  payloadLen: number,
  outerEnd: number,
): void {
  let nh = firstNh;
  let ph = 255;
  let cp = p;
  let advance = 40;
  let totalAdvance = 0;
  let left = total;
  let fragmented = false;
  let foundExtension = false;
  let foundHbh = false;
  let dst6 = p + 24;
  let routed = false;
  jumbo.found = false;
  jumbo.payloadLen = payloadLen;
  while (cp < c.end && advance > 0) {
    if (left < advance) {
      c.w(" [|ip6]");
      return;
    }
    cp += advance;
    left -= advance;
    totalAdvance += advance;
    if (cp === p + 40 && nh !== 6 && nh !== 17 && nh !== 33 && nh !== 132) {
      c.ip6w(p + 8);
      c.t(T_TO);
      c.ip6w(p + 24);
      c.t(T_COLON);
    }
    switch (nh) {
      case 0:
        if (foundHbh) {
          c.w("[The Hop-by-Hop Options header was already found] (invalid)");
          return;
        }
        if (ph !== 255) {
          c.w("[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)");
          return;
        }
        advance = printOptionsHeader(c, cp, true);
        if (jumbo.payloadLen === 0 && !jumbo.found) {
          c.w("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)");
          return;
        }
        if (advance < 0) return;
        foundExtension = true;
        foundHbh = true;
        nh = c.u8(cp);
        break;
      case 60:
        advance = printOptionsHeader(c, cp, false);
        if (advance < 0) return;
        foundExtension = true;
        nh = c.u8(cp);
        break;
      case 44:
        advance = printFragment(c, cp, p);
        if (advance < 0 || c.end <= cp + advance) return;
        foundExtension = true;
        nh = c.u8(cp);
        fragmented = true;
        break;
      case 43: {
        if (!c.has(cp, 1)) {
          c.w(" [|ip6]");
          return;
        }
        advance = printRouting(c, cp);
        if (advance < 0) return;
        // The pseudo-header's destination: the first routing header's final hop.
        if (!routed) {
          routed = true;
          const type = c.u8(cp + 2);
          const n = c.u8(cp + 1) >> 1;
          if (type === 4) dst6 = cp + 8;
          else if (n > 0) dst6 = cp + 8 + 16 * (n - 1);
        }
        foundExtension = true;
        nh = c.u8(cp);
        break;
      }
      default: {
        let len = left;
        if (jumbo.found) {
          len = jumbo.payloadLen + 40;
          if (len < totalAdvance) {
            c.w(" [|ip6]");
            return;
          }
          if (length < len) c.w(`truncated-ip6 - ${len - length} bytes missing!`);
          if (len <= outerEnd - p) c.end = p + len;
          len -= totalAdvance;
        } else if (payloadLen === 0) {
          if (foundExtension) {
            c.w(" [|ip6]");
            return;
          }
          if (40 <= outerEnd - p) c.end = p + 40;
          len = 40 - totalAdvance;
        }
        const hdrNh = c.u8(p + 6);
        demux(c, cp, len, c.ipInfo().set(true, p, nh, hdrNh, dst6, fragmented));
        return;
      }
    }
    ph = nh;
    c.proto = "ip6";
  }
}

/** A hop-by-hop or destination options header; its length, or -1 after ` [|proto]`. */
function printOptionsHeader(c: Ctx, cp: number, hbh: boolean): number {
  c.proto = hbh ? "hbhopt" : "dstopt";
  const hlen = (c.u8(cp + 1) + 1) << 3;
  if (!c.has(cp, hlen)) {
    c.w(` [|${c.proto}]`);
    return -1;
  }
  c.w(hbh ? "HBH " : "DSTOPT ");
  // Destination options are decoded at -v only; hop-by-hop ones always (for the Jumbo Payload).
  if ((hbh || c.verbose > 0) && !printIp6Options(c, cp + 2, hlen - 2, hbh)) {
    c.w(` [|${c.proto}]`);
    return -1;
  }
  return hlen;
}

/** ip6_opt_process: false when an option runs past the header (tcpdump's trunc). */
function printIp6Options(c: Ctx, bp: number, len: number, hbh: boolean): boolean {
  if (len === 0) return true;
  const v = c.verbose > 0;
  let optlen = 0;
  let seenJumbo = false;
  for (let i = 0; i < len; i += optlen) {
    const type = c.u8(bp + i);
    optlen = optionLength(c, bp, i, len);
    if (optlen < 0) return false;
    switch (type) {
      case 0:
        if (v) c.w("(pad1)");
        break;
      case 1:
        if (len - i < 2) {
          c.w("(padn: trunc)");
          return false;
        }
        if (v) c.w("(padn)");
        break;
      case 0x05:
        if (len - i < 4) {
          c.w("(rtalert: trunc)");
          return false;
        }
        if (c.u8(bp + i + 1) !== 2) {
          c.w(`(rtalert: invalid len ${c.u8(bp + i + 1)})`);
          return false;
        }
        if (v)
          c.w(
            `(rtalert: 0x${c
              .be16(bp + i + 2)
              .toString(16)
              .padStart(4, "0")}) `,
          );
        break;
      case 0xc2: {
        if (len - i < 6) {
          c.w("(jumbo: trunc)");
          return false;
        }
        if (c.u8(bp + i + 1) !== 4) {
          c.w(`(jumbo: invalid len ${c.u8(bp + i + 1)})`);
          return false;
        }
        const jumbolen = c.be32(bp + i + 2);
        let note = "";
        if (seenJumbo) note = " - already seen";
        else {
          seenJumbo = true;
          if (!hbh) note = " - not a hop-by-hop option";
          else if (jumbo.payloadLen !== 0) note = " - payload len != 0";
          else if (jumbolen < 65536) note = " - < 65536";
          else {
            jumbo.found = true;
            jumbo.payloadLen = jumbolen;
          }
        }
        if (v) c.w(`(jumbo: ${jumbolen}${note}) `);
        break;
      }
      case 0xc9:
        if (len - i < 18) {
          c.w("(homeaddr: trunc)");
          return false;
        }
        if (c.u8(bp + i + 1) < 16) {
          c.w(`(homeaddr: invalid len ${c.u8(bp + i + 1)})`);
          return false;
        }
        if (v) {
          c.w(`(homeaddr: ${c.ip6(bp + i + 2)}`);
          if (c.u8(bp + i + 1) > 16 && !printSubOptions(c, bp + i + 18, optlen - 18)) return false;
          c.w(")");
        }
        break;
      default:
        if (len - i < 2) {
          c.w(`(type ${type}: trunc)`);
          return false;
        }
        if (v) c.w(`(opt_type 0x${type.toString(16).padStart(2, "0")}: len=${c.u8(bp + i + 1)})`);
    }
  }
  if (v) c.w(" ");
  return true;
}

/** The length of the option at `bp + i` (type, length, data), or -1 when it runs past `len`. */
function optionLength(c: Ctx, bp: number, i: number, len: number): number {
  if (c.u8(bp + i) === 0) return 1;
  if (i + 1 >= len) return -1;
  const optlen = c.u8(bp + i + 1) + 2;
  return i + optlen > len ? -1 : optlen;
}

/** ip6_sopt_print: the sub-options of a home address option. */
function printSubOptions(c: Ctx, bp: number, len: number): boolean {
  let optlen = 0;
  for (let i = 0; i < len; i += optlen) {
    const type = c.u8(bp + i);
    optlen = optionLength(c, bp, i, len);
    if (optlen < 0) return false;
    if (type === 0) c.w(", pad1");
    else if (type === 1) {
      if (len - i < 2) {
        c.w(", padn: trunc");
        return false;
      }
      c.w(", padn");
    } else {
      if (len - i < 2) {
        c.w(`, sopt_type ${type}: trunc)`);
        return false;
      }
      c.w(`, sopt_type 0x${type.toString(16).padStart(2, "0")}: len=${c.u8(bp + i + 1)}`);
    }
  }
  return true;
}

function printFragment(c: Ctx, cp: number, ip6: number): number {
  c.proto = "frag6";
  const ident = c.verbose > 0 ? c.be32(cp + 4) : 0;
  const offset = c.be16(cp + 2) & 0xfff8;
  // A size_t in tcpdump: a payload length too short for the headers wraps around.
  const rest = 40 + c.be16(ip6 + 4) - (cp - ip6) - 8;
  const plen = rest >= 0 ? String(rest) : String(2n ** 64n + BigInt(rest));
  if (c.verbose > 0) c.w(`frag (0x${ident.toString(16).padStart(8, "0")}:${offset}|${plen})`);
  else c.w(`frag (${offset}|${plen})`);
  if (offset !== 0) return -1;
  c.w(" ");
  return 8;
}

/** rt6_print: types 0 and 2 (addresses) and 4 (segment routing); -1 when it stops. */
function printRouting(c: Ctx, cp: number): number {
  c.proto = "rt6";
  c.w("RT6");
  let len = c.u8(cp + 1);
  c.w(` (len=${len}`);
  const type = c.u8(cp + 2);
  c.w(`, type=${type}`);
  if (type === 0) c.w(" [Deprecated]");
  c.w(`, segleft=${c.u8(cp + 3)}`);
  if (type === 0 || type === 2) {
    const rsv = c.be32(cp + 4);
    if (rsv !== 0 || c.verbose > 0) c.w(`, rsv=0x${rsv.toString(16)}`);
  } else if (type === 4) {
    c.w(`, last-entry=${c.u8(cp + 4)}`);
    const flags = c.u8(cp + 5);
    if (flags !== 0 || c.verbose > 0) c.w(`, flags=0x${flags.toString(16)}`);
    c.w(`, tag=${c.be16(cp + 6).toString(16)}`);
  } else {
    c.w(" (unknown type) (invalid)");
    return -1;
  }
  if (len % 2 === 1) {
    c.w(` (invalid length ${len}) (invalid)`);
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
