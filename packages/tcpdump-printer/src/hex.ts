// Hex dumps in tcpdump's layouts: hex_print (-x, -xx and unknown data) and
// hex_and_ascii_print (-X and unknown ethertypes); ascii_print (-A).

import { type Ctx, HEX2 } from "./context.js";

/** `indent` + `0xOOOO: ` lines of up to eight 16-bit groups. */
export function hexDump(data: Uint8Array, off: number, len: number, indent: string): string {
  let s = "";
  let i = 0;
  let oset = 0;
  let p = off;
  let left = len;
  while (left >= 2) {
    if (i++ % 8 === 0) {
      s += `${indent}0x${oset.toString(16).padStart(4, "0")}: `;
      oset += 16;
    }
    s += ` ${HEX2[data[p]!]}${HEX2[data[p + 1]!]}`;
    p += 2;
    left -= 2;
  }
  if (left === 1) {
    if (i % 8 === 0) s += `${indent}0x${oset.toString(16).padStart(4, "0")}: `;
    s += ` ${HEX2[data[p]!]}`;
  }
  return s;
}

function asciiChar(b: number): string {
  return b > 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
}

/** hex_and_ascii_print: 16 bytes a line, hex then the printable characters. */
export function hexAsciiBytes(data: Uint8Array, off: number, len: number, indent: string): string {
  let s = "";
  let oset = 0;
  let p = off;
  const end = off + len;
  while (p < end) {
    const n = Math.min(16, end - p);
    let hex = "";
    let asc = "";
    let k = 0;
    for (; k + 1 < n; k += 2) {
      hex += ` ${HEX2[data[p + k]!]}${HEX2[data[p + k + 1]!]}`;
      asc += asciiChar(data[p + k]!) + asciiChar(data[p + k + 1]!);
    }
    if (k < n) {
      hex += ` ${HEX2[data[p + k]!]}`;
      asc += asciiChar(data[p + k]!);
    }
    s += `${indent}0x${oset.toString(16).padStart(4, "0")}: ${hex.padEnd(40)}  ${asc}`;
    oset += 16;
    p += n;
  }
  return s;
}

/**
 * -A: a line break, then the bytes as text: printable ASCII, space, tab and
 * line feed as they are, a carriage return before a line feed left out,
 * anything else as ".".
 */
export function asciiText(data: Uint8Array, off: number, len: number): string {
  let s = "\n";
  const end = off + len;
  for (let p = off; p < end; p++) {
    const b = data[p]!;
    if (b === 13) {
      if (p + 1 === end || data[p + 1] !== 10) s += ".";
    } else if ((b > 0x20 && b < 0x7f) || b === 32 || b === 9 || b === 10) s += String.fromCharCode(b);
    else s += ".";
  }
  return s;
}

/** hex_and_ascii_print over captured bytes, with ` [|proto]` when `len` runs past them. */
export function hexAsciiDump(c: Ctx, off: number, len: number, indent: string): string {
  const avail = Math.max(0, c.end - off);
  if (len > avail) return `${hexAsciiBytes(c.data, off, avail, indent)} [|${c.proto}]`;
  return hexAsciiBytes(c.data, off, len, indent);
}

/** print_unknown_data: hex_print of what was captured of `len` bytes. */
export function unknownData(c: Ctx, off: number, len: number, indent: string): string {
  const avail = Math.max(0, c.end - off);
  return hexDump(c.data, off, Math.min(len, avail), indent);
}
