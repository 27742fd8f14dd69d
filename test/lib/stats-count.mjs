// SPDX-License-Identifier: GPL-2.0
// An independent count of what `pval stats -r RX --tx TX` reports, made the
// naive way from the same two captures: whole files in memory, sets and
// sorts, no windows. Reads pcap (µs or ns) and pcapng (EPB, ns or µs per
// interface) without @pval/decode; finds option 222 right after the fixed
// IPv4 header or anywhere among the options.
//
//   node test/lib/stats-count.mjs RX_FILE TX_FILE
//
// Prints one JSON object: per stream "src cpu" → { received, unique,
// duplicates, reordered, sent, lost }. Definitions (SPEC section 6):
// arrival order is ascending timestamp, ties in file order; reordered =
// first arrivals whose seq is below the largest seq before them; sent = TX
// copies to destinations the receiver saw; lost = those never received.
import { readFileSync } from "node:fs";

function* records(path) {
  const b = readFileSync(path);
  const magic = b.readUInt32LE(0);
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    const nano = magic === 0xa1b23c4d;
    for (let at = 24; at + 16 <= b.length; ) {
      const caplen = b.readUInt32LE(at + 8);
      const t = BigInt(b.readUInt32LE(at)) * 1_000_000_000n + BigInt(b.readUInt32LE(at + 4)) * (nano ? 1n : 1000n);
      yield { t, data: b.subarray(at + 16, at + 16 + caplen) };
      at += 16 + caplen;
    }
    return;
  }
  if (magic !== 0x0a0d0d0a) throw new Error(`${path}: not a pcap or pcapng file`);
  if (b.readUInt32LE(8) !== 0x1a2b3c4d) throw new Error(`${path}: big-endian pcapng is not handled here`);
  const units = []; // per interface: units per second
  for (let at = 0; at + 12 <= b.length; ) {
    const type = b.readUInt32LE(at);
    const len = b.readUInt32LE(at + 4);
    if (type === 1) {
      let unitsPerSec = 1_000_000n;
      for (let o = at + 16; o + 4 <= at + len - 4; ) {
        const code = b.readUInt16LE(o);
        const olen = b.readUInt16LE(o + 2);
        if (code === 0) break;
        if (code === 9) {
          const v = b[o + 4];
          unitsPerSec = v & 0x80 ? 2n ** BigInt(v & 0x7f) : 10n ** BigInt(v);
        }
        o += 4 + ((olen + 3) & ~3);
      }
      units.push(unitsPerSec);
    } else if (type === 6) {
      const iface = b.readUInt32LE(at + 8);
      const ts = (BigInt(b.readUInt32LE(at + 12)) << 32n) | BigInt(b.readUInt32LE(at + 16));
      const caplen = b.readUInt32LE(at + 20);
      const t = (ts * 1_000_000_000n) / units[iface];
      yield { t, data: b.subarray(at + 28, at + 28 + caplen) };
    }
    at += len;
  }
}

/** { src, dst, cpu, seq } of a frame with option 222, else null. */
function pval(d) {
  if (d.length < 34 || d.readUInt16BE(12) !== 0x0800) return null;
  const ihl = (d[14] & 15) * 4;
  for (let o = 34; o < 14 + ihl && o < d.length; ) {
    const type = d[o];
    if (type === 0) break;
    if (type === 1) {
      o++;
      continue;
    }
    const len = d[o + 1];
    if (type === 222 && len === 12 && o + 12 <= d.length) {
      return {
        src: `${d[26]}.${d[27]}.${d[28]}.${d[29]}`,
        dst: `${d[30]}.${d[31]}.${d[32]}.${d[33]}`,
        cpu: d[o + 3],
        seq: d.readBigUInt64LE(o + 4),
      };
    }
    if (len < 2) break;
    o += len;
  }
  return null;
}

const [rxPath, txPath] = process.argv.slice(2);
const rx = [...records(rxPath)]
  .map((r, i) => ({ ...r, i, p: pval(r.data) }))
  .filter((r) => r.p)
  .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.i - b.i));
const tx = txPath ? [...records(txPath)].map((r) => pval(r.data)).filter(Boolean) : [];

const streams = new Map();
const stream = (p) => {
  const key = `${p.src} ${p.cpu}`;
  if (!streams.has(key)) streams.set(key, { arrivals: [], sent: new Set() });
  return streams.get(key);
};
const dsts = new Set(rx.map((r) => r.p.dst));
for (const r of rx) stream(r.p).arrivals.push(r.p.seq);
for (const p of tx) if (dsts.has(p.dst)) stream(p).sent.add(p.seq);

const out = {};
for (const [key, s] of streams) {
  const seen = new Set();
  let max = -1n;
  let reordered = 0;
  for (const seq of s.arrivals) {
    if (seen.has(seq)) continue;
    seen.add(seq);
    if (seq < max) reordered++;
    else max = seq;
  }
  let lost = 0;
  for (const seq of s.sent) if (!seen.has(seq)) lost++;
  out[key] = {
    received: s.arrivals.length,
    unique: seen.size,
    duplicates: s.arrivals.length - seen.size,
    reordered,
    sent: s.sent.size,
    lost,
  };
}
console.log(JSON.stringify(out));
