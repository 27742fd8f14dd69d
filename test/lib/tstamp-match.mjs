// SPDX-License-Identifier: GPL-2.0
// Compares the timestamps of pval copies (a pcapng file of `pval dump -w`)
// with those of a capture of the same frames (Debian's tcpdump -w with
// --time-stamp-precision=nano), frame by frame.  Frames are matched by
// content: IPv4 source address and option 222 (cpu, seq), so only IPv4
// frames sent by a pval link with ipopt on count.
//
//   node test/lib/tstamp-match.mjs COPIES CAPTURE [--exact] [--expect N]
//
// Prints one line:
//   copies N captured N matched N equal N only_copies N only_capture N
//   dup N diff_ns min A p50 B p90 C p99 D max E
// where diff is copy timestamp minus capture timestamp, in ns (negative:
// the copy was stamped first).  Exit 1 with --exact when a matched pair
// differs or a copy has no captured frame; with --expect N when fewer
// than N frames matched; 2 on a usage or file error.
import { readCaptureFile } from "../../packages/decode/dist/index.js";

const args = process.argv.slice(2);
const files = [];
let exact = false;
let expect = 0;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--exact") exact = true;
  else if (args[i] === "--expect") expect = Number(args[++i]);
  else if (args[i].startsWith("--")) {
    console.error(`tstamp-match: unknown option ${args[i]}`);
    process.exit(2);
  } else files.push(args[i]);
}
if (files.length !== 2 || !Number.isInteger(expect)) {
  console.error("usage: tstamp-match.mjs COPIES CAPTURE [--exact] [--expect N]");
  process.exit(2);
}

// Frame -> "src cpu seq", or null when it is not an IPv4 frame with option 222.
function key(d) {
  if (d.length < 14 + 20 + 12 || d[12] !== 0x08 || d[13] !== 0x00) return null;
  const ihl = (d[14] & 0x0f) * 4;
  if (ihl < 32 || d[34] !== 0xde || d[35] !== 12) return null;
  let seq = 0n;
  for (let b = 7; b >= 0; b--) seq = (seq << 8n) | BigInt(d[38 + b]);
  return `${d[26]}.${d[27]}.${d[28]}.${d[29]} ${d[37]} ${seq}`;
}

// file -> { stamps: Map(key -> ns), frames, dup }
function load(path) {
  const stamps = new Map();
  let frames = 0;
  let dup = 0;
  try {
    readCaptureFile(path, (r) => {
      const k = key(r.data);
      if (k === null) return true;
      frames++;
      if (stamps.has(k)) dup++;
      else stamps.set(k, BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNsec));
      return true;
    });
  } catch (err) {
    console.error(`tstamp-match: ${path}: ${err.message}`);
    process.exit(2);
  }
  return { stamps, frames, dup };
}

const copies = load(files[0]);
const capture = load(files[1]);
const diffs = [];
let onlyCopies = 0;
for (const [k, ts] of copies.stamps) {
  const other = capture.stamps.get(k);
  if (other === undefined) onlyCopies++;
  else diffs.push(ts - other);
}
const onlyCapture = capture.stamps.size - diffs.length;
diffs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const equal = diffs.filter((d) => d === 0n).length;
const at = (q) => (diffs.length ? diffs[Math.min(diffs.length - 1, Math.floor(q * diffs.length))] : "-");
console.log(
  `copies ${copies.frames} captured ${capture.frames} matched ${diffs.length} equal ${equal}` +
    ` only_copies ${onlyCopies} only_capture ${onlyCapture} dup ${copies.dup + capture.dup}` +
    ` diff_ns min ${at(0)} p50 ${at(0.5)} p90 ${at(0.9)} p99 ${at(0.99)} max ${diffs.length ? diffs[diffs.length - 1] : "-"}`,
);
let bad = diffs.length < expect;
if (exact && (equal !== diffs.length || onlyCopies !== 0)) bad = true;
process.exit(bad ? 1 : 0);
