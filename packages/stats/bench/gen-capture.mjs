// Writes a pcap of pval traffic as the sender's TX copies or the receiver's
// copies saw it, for the benchmark: 10.0.0.2 sends UDP on 4 CPUs at 100,000
// packets/s (seqs from 2^40 + 1, so they need more than 32 bits); the network
// loses 1%, duplicates 0.5% and delays each packet by 50–150 µs, which
// reorders neighbours. Deterministic: the TX and RX files of the same
// --packets agree packet for packet.
//
//   node bench/gen-capture.mjs --side tx|rx --packets N --out FILE|-
//
// Prints nothing; with --truth, prints to stderr the counts of the RX side
// (received, lost, duplicates) as the generator made them.

import { createWriteStream } from "node:fs";
import { encodeFrame, ipv4FromString, pcapFileHeader } from "@pval/decode";

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const side = arg("--side", "rx");
const packets = Number(arg("--packets", "1000000"));
const outPath = arg("--out", "-");
const truth = args.includes("--truth");

const CPUS = 4;
const SPACING = 10_000; // ns
const T0 = 1_700_000_000_000_000_000n;
const SEQ0 = 2n ** 40n + 1n;

// mulberry32
let state = 0x9e3779b9;
function rand() {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const mac = (s) => Uint8Array.from(s.split(":").map((h) => Number.parseInt(h, 16)));
const template = encodeFrame({
  ethernet: { src: mac("08:00:27:19:12:a4"), dst: mac("ea:51:d7:0c:95:1a") },
  ipv4: {
    src: ipv4FromString("10.0.0.2"),
    dst: ipv4FromString("10.0.0.3"),
    options: [{ kind: "pval", cpu: 0, seq: 0n }],
  },
  udp: { srcPort: 40000, dstPort: 9999 },
  payload: new Uint8Array(18),
});
const CPU_AT = 14 + 20 + 3;
const SEQ_AT = 14 + 20 + 4;
const REC = 16 + template.length;

const out = outPath === "-" ? process.stdout : createWriteStream(outPath);
const CHUNK_RECORDS = 8192;
let chunk = Buffer.alloc(REC * CHUNK_RECORDS);
let inChunk = 0;

async function flush() {
  if (inChunk === 0) return;
  const data = chunk.subarray(0, inChunk * REC);
  chunk = Buffer.alloc(REC * CHUNK_RECORDS);
  inChunk = 0;
  if (!out.write(data)) await new Promise((r) => out.once("drain", r));
}

async function record(tNs, cpu, seq) {
  const at = inChunk * REC;
  const sec = tNs / 1_000_000_000n;
  chunk.writeUInt32LE(Number(sec), at);
  chunk.writeUInt32LE(Number(tNs - sec * 1_000_000_000n), at + 4);
  chunk.writeUInt32LE(template.length, at + 8);
  chunk.writeUInt32LE(template.length, at + 12);
  chunk.set(template, at + 16);
  chunk[at + 16 + CPU_AT] = cpu;
  chunk.writeBigUInt64LE(seq, at + 16 + SEQ_AT);
  if (++inChunk === CHUNK_RECORDS) await flush();
}

out.write(Buffer.from(pcapFileHeader({ precision: "nano" })));
let received = 0;
let lost = 0;
let dups = 0;
// Arrivals not yet written, kept sorted by time (at most ~10 wait at once).
const pending = [];
for (let i = 0; i < packets; i++) {
  const cpu = i % CPUS;
  const seq = SEQ0 + BigInt(Math.floor(i / CPUS));
  const tx = T0 + BigInt(i * SPACING);
  if (side === "tx") {
    await record(tx, cpu, seq);
    continue;
  }
  const r = rand();
  const delay = 50_000 + Math.floor(rand() * 100_000);
  if (r < 0.01) {
    lost++;
  } else {
    pending.push({ t: tx + BigInt(delay), cpu, seq });
    received++;
    if (r > 0.995) {
      pending.push({ t: tx + BigInt(delay + 5_000), cpu, seq });
      received++;
      dups++;
    }
  }
  pending.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  // Everything that arrives before the next packet could is final.
  const horizon = tx + BigInt(SPACING + 50_000);
  while (pending.length > 0 && pending[0].t < horizon) {
    const p = pending.shift();
    await record(p.t, p.cpu, p.seq);
  }
}
for (const p of pending) await record(p.t, p.cpu, p.seq);
await flush();
if (outPath !== "-") await new Promise((r) => out.end(r));
if (truth) process.stderr.write(`received ${received} lost ${lost} duplicates ${dups}\n`);
