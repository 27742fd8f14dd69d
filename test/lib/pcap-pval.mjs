// SPDX-License-Identifier: GPL-2.0
// Checks the pval option in a pcap capture taken on the peer (Debian's
// tcpdump -w, link type Ethernet).  For every IPv4 packet from --src:
// the option right after the fixed header (type 0xde, length 12, reserved
// 0), a valid header checksum, and per CPU a sequence that goes up by
// exactly one from packet to packet.
//
//   node test/lib/pcap-pval.mjs FILE [--src A.B.C.D] [--expect N]
//
// Prints one line of figures and exits 1 when a packet lacks the option,
// has a bad checksum or option, a sequence has a gap or a repeat, or fewer
// than --expect packets carry the option.  Byte order: pcap headers in the
// file's order (magic), packets in network order, seq little-endian.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const file = args[0];
let src = null;
let expect = 0;
for (let i = 1; i < args.length; i += 2) {
  if (args[i] === "--src") src = args[i + 1];
  else if (args[i] === "--expect") expect = Number(args[i + 1]);
  else {
    console.error(`pcap-pval: unknown argument ${args[i]}`);
    process.exit(2);
  }
}
if (!file) {
  console.error("usage: pcap-pval.mjs FILE [--src A.B.C.D] [--expect N]");
  process.exit(2);
}

const buf = readFileSync(file);
if (buf.length < 24) {
  console.error(`pcap-pval: ${file}: ${buf.length} bytes, need a 24-byte pcap header`);
  process.exit(1);
}
const magic = buf.readUInt32LE(0);
let le;
if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
else {
  console.error(`pcap-pval: ${file}: not a pcap file (magic 0x${magic.toString(16)})`);
  process.exit(1);
}
const u32 = (off) => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
if (u32(20) !== 1) {
  console.error(`pcap-pval: link type ${u32(20)}, expected 1 (Ethernet)`);
  process.exit(1);
}

function ipChecksumOk(off, len) {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += buf.readUInt16BE(off + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

const perCpu = new Map(); // cpu -> { count, first, last }
let packets = 0;
let withOpt = 0;
let without = 0;
let badCsum = 0;
let badOpt = 0;
let gaps = 0;
let repeats = 0;
let truncated = 0;
let maxLen = 0;
const problems = [];

for (let off = 24; off + 16 <= buf.length; ) {
  const incl = u32(off + 8);
  const p = off + 16;
  off = p + incl;
  if (off > buf.length) {
    truncated++;
    break;
  }
  if (incl < 14 + 20 || buf.readUInt16BE(p + 12) !== 0x0800) continue;
  const ip = p + 14;
  const ihl = (buf[ip] & 0x0f) * 4;
  const saddr = `${buf[ip + 12]}.${buf[ip + 13]}.${buf[ip + 14]}.${buf[ip + 15]}`;
  if (src && saddr !== src) continue;
  packets++;
  if (incl < 14 + ihl) {
    truncated++;
    continue;
  }
  maxLen = Math.max(maxLen, buf.readUInt16BE(ip + 2));
  if (!ipChecksumOk(ip, ihl)) badCsum++;
  if (ihl < 32 || buf[ip + 20] !== 0xde) {
    without++;
    if (problems.length < 5) problems.push(`packet ${packets}: no pval option (IHL ${ihl / 4})`);
    continue;
  }
  if (buf[ip + 21] !== 12 || buf[ip + 22] !== 0) {
    badOpt++;
    continue;
  }
  withOpt++;
  const cpu = buf[ip + 23];
  const seq = buf.readBigUInt64LE(ip + 24);
  const c = perCpu.get(cpu);
  if (!c) {
    perCpu.set(cpu, { count: 1, first: seq, last: seq });
    continue;
  }
  if (seq === c.last + 1n) {
    // in order
  } else if (seq > c.last + 1n) {
    gaps += Number(seq - c.last - 1n);
    if (problems.length < 5) problems.push(`cpu ${cpu}: gap ${c.last} -> ${seq}`);
  } else {
    repeats++;
    if (problems.length < 5) problems.push(`cpu ${cpu}: step back ${c.last} -> ${seq}`);
  }
  c.count++;
  c.last = seq;
}

const cpus = [...perCpu.entries()]
  .sort((a, b) => a[0] - b[0])
  .map(([cpu, c]) => `cpu${cpu}=${c.count}(seq ${c.first}..${c.last})`)
  .join(" ");
console.log(
  `pcap-pval: packets ${packets} with-option ${withOpt} without ${without} bad-checksum ${badCsum} bad-option ${badOpt} gaps ${gaps} repeats ${repeats} truncated ${truncated} max-ip-length ${maxLen} ${cpus}`,
);
for (const p of problems) console.log(`pcap-pval: ${p}`);
const ok = without === 0 && badCsum === 0 && badOpt === 0 && gaps === 0 && repeats === 0 && withOpt >= expect;
process.exit(ok ? 0 : 1);
