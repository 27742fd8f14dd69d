// Differential fuzzer: the printer against tcpdump, line by line.
//
// Generates frames (fuzz/frames.mjs) from a seed, writes them into a pcap,
// prints the file with tcpdump and with the printer — read the way
// `pval print -r` reads it (readCaptureFile, PacketPrinter.append/drain) —
// under every flag set below, and compares the two outputs line by line.
// Where tcpdump prints an intact option 222 as `unknown 222`, the printer's
// `pval cpu N, seq M` is expected instead (the outer header's values checked
// against @pval/decode).
//
//   pnpm --filter @pval/tcpdump-printer fuzz                      CI: fixed seed and budget
//   pnpm --filter @pval/tcpdump-printer fuzz -- --seed S --frames N [--report K] [--keep DIR]
//   pnpm --filter @pval/tcpdump-printer fuzz -- --seed S --frames N --show I   (frame I: bytes, both outputs)
//
// Exit status 0 when there is no difference, 1 otherwise; the report shows
// the first differences of each kind with the frame's bytes, cut to the
// shortest capture length that still shows the difference.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  FieldStatus,
  PvalFields,
  pcapFileHeader,
  pcapRecord,
  readCaptureFile,
  readPvalFieldsFromFrame,
} from "@pval/decode";
import { PacketPrinter } from "@pval/tcpdump-printer";
import { generate } from "./frames.mjs";

const CI_SEED = 0x5eed;
const CI_FRAMES = 30_000;

/** tcpdump's flags and the printer's options for them. */
export const FLAG_SETS = [
  [["-n"], {}],
  [["-nv"], { verbose: 1 }],
  [["-nvv"], { verbose: 2 }],
  [["-nvvv"], { verbose: 3 }],
  [["-n", "-e"], { link: true }],
  [["-nvv", "-e"], { verbose: 2, link: true }],
  [["-n", "-x"], { hex: "x" }],
  [["-nv", "-xx"], { verbose: 1, hex: "xx" }],
  [["-n", "-X"], { hex: "X" }],
  [["-nvv", "-e", "-XX"], { verbose: 2, link: true, hex: "XX" }],
  [["-nvvv", "-e", "-tt"], { verbose: 3, link: true, timestamps: "epoch" }],
];

function parseArgs(argv) {
  const o = { seed: CI_SEED, frames: CI_FRAMES, report: 3, keep: undefined, show: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const whole = () => {
      const v = value();
      const n = Number(v);
      if (v.trim() === "" || !Number.isSafeInteger(n) || n < 0) throw new Error(`${a} wants a whole number, not ${v}`);
      return n;
    };
    if (a === "--seed") o.seed = whole();
    else if (a === "--frames") o.frames = whole();
    else if (a === "--report") o.report = whole();
    else if (a === "--keep") o.keep = value();
    else if (a === "--show") o.show = whole();
    else if (a === "--") continue;
    else throw new Error(`unknown argument ${a} (use --seed S --frames N --report K --keep DIR --show I)`);
  }
  if (o.show !== undefined && o.show >= o.frames) {
    throw new Error(`--show wants a frame number below --frames (${o.frames}), not ${o.show}`);
  }
  return o;
}

const TCPDUMP = process.env.TCPDUMP ?? "/usr/bin/tcpdump";
const BASE_SEC = 1_700_000_000;
/** Timestamps are BASE_SEC + i seconds: one day of distinct HH:MM:SS. */
const DAY = 86_400;

function writePcap(path, frames, indexes) {
  const parts = [pcapFileHeader()];
  indexes.forEach((i) => {
    const f = frames[i];
    parts.push(pcapRecord({ tsSec: BASE_SEC + (i % DAY), tsNsec: 0, data: f.data, origlen: f.origlen }));
  });
  writeFileSync(path, Buffer.concat(parts));
}

function tcpdump(path, flags) {
  return execFileSync(TCPDUMP, [...flags, "-r", path], {
    env: { ...process.env, TZ: "UTC" },
    encoding: "latin1",
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 1 << 30,
  });
}

/** The printer over the file, the way `pval print -r` drives it. */
function ours(path, options) {
  const printer = new PacketPrinter(options);
  const chunks = [];
  readCaptureFile(path, (r) => {
    if (printer.append(r) >= 1 << 16) chunks.push(Buffer.from(printer.drain()));
    return true;
  });
  chunks.push(Buffer.from(printer.drain()));
  return Buffer.concat(chunks).toString("latin1");
}

const START = /^(\d\d:\d\d:\d\d\.\d{6} |\d{10}\.\d{6} |\[Invalid header)/;

/** One block of lines per packet (each starts with its timestamp). */
function blocks(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (START.test(line) || out.length === 0) out.push([line]);
    else out[out.length - 1].push(line);
  }
  if (out.length > 0) {
    const last = out[out.length - 1];
    if (last[last.length - 1] === "") last.pop();
  }
  return out;
}

/** pval's name for option 222, and the name stock tcpdump prints for it. */
const PVAL_NAME = /pval cpu \d+, seq \d+/g;

/**
 * Whether our line is what tcpdump's line says. The printer names an intact
 * option 222 `pval cpu N, seq M` where tcpdump says `unknown 222`; on the
 * outer header's line the first one must read the values @pval/decode
 * reads (`pval`).
 */
function sameLine(theirs, mine, pval) {
  if (theirs === mine) return true;
  if (!mine.includes("pval cpu ")) return false;
  if (pval !== undefined && mine.match(PVAL_NAME)?.[0] !== pval) return false;
  return mine.replace(PVAL_NAME, "unknown 222") === theirs;
}

function pvalText(frame) {
  const fields = new PvalFields();
  const status = readPvalFieldsFromFrame(frame, fields);
  return (status & FieldStatus.PVAL) !== 0 ? `pval cpu ${fields.cpu}, seq ${fields.seq}` : undefined;
}

/** The first differing line of two packet blocks, or -1. */
function firstDifference(theirs, mine, pval) {
  const n = Math.max(theirs.length, mine.length);
  for (let k = 0; k < n; k++) {
    // The outer header's options are on the first line; later lines hold inner headers.
    if (theirs[k] === undefined || mine[k] === undefined || !sameLine(theirs[k], mine[k], k === 0 ? pval : undefined)) {
      return k;
    }
  }
  return -1;
}

/**
 * What kind of difference: tcpdump's and the printer's words around the
 * first differing character, numbers as N (so one bug is one kind).
 */
function kind(theirs, mine) {
  const t = theirs ?? "";
  const m = mine ?? "";
  let i = 0;
  while (i < t.length && i < m.length && t[i] === m[i]) i++;
  const from = Math.max(0, t.lastIndexOf(" ", Math.max(0, i - 12)));
  const words = (s) =>
    s
      .slice(from, i + 16)
      .trim()
      .replace(/[0-9a-f]*[0-9][0-9a-f]*/g, "N");
  return `${words(t)} / ${words(m)}`;
}

/** The kind of the first difference printing one frame, or undefined. */
function compareOne(dir, frame, flags, options) {
  const path = join(dir, "one.pcap");
  writePcap(path, [frame], [0]);
  const theirs = blocks(tcpdump(path, flags));
  const mine = blocks(ours(path, options));
  if (theirs.length !== 1 || mine.length !== 1) return "packet count";
  const k = firstDifference(theirs[0], mine[0], pvalText(frame.data));
  return k < 0 ? undefined : kind(theirs[0][k], mine[0][k]);
}

/** The shortest capture of the frame (its first bytes) that still shows the same kind of difference. */
function minimise(dir, frame, flags, options, want) {
  let best = frame;
  let lo = 0;
  let hi = frame.data.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const cut = { data: frame.data.subarray(0, mid), origlen: frame.origlen };
    if (compareOne(dir, cut, flags, options) === want) {
      best = cut;
      hi = mid;
    } else lo = mid + 1;
  }
  return best;
}

function hex(bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    lines.push(
      `    ${i.toString(16).padStart(4, "0")}: ${Array.from(bytes.subarray(i, i + 16), (b) => b.toString(16).padStart(2, "0")).join(" ")}`,
    );
  }
  return lines.join("\n");
}

/** One frame's bytes and both outputs under every flag set. */
function show(frame, o) {
  const dir = mkdtempSync(join(tmpdir(), "pval-fuzz-"));
  const path = join(dir, "one.pcap");
  writePcap(path, [frame], [0]);
  console.log(`frame ${o.show} (seed ${o.seed}), ${frame.data.length} bytes captured, origlen ${frame.origlen}:`);
  console.log(hex(frame.data));
  for (const [flags, options] of FLAG_SETS) {
    console.log(`\n${flags.join(" ")}\n  tcpdump: ${tcpdump(path, flags).trimEnd().split("\n").join("\n           ")}`);
    console.log(`  printer: ${ours(path, options).trimEnd().split("\n").join("\n           ")}`);
  }
  rmSync(dir, { recursive: true, force: true });
  return 0;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (spawnSync(TCPDUMP, ["--version"]).status !== 0) {
    console.error(`fuzz: ${TCPDUMP} does not run (apt-get install tcpdump, or set TCPDUMP)`);
    return 2;
  }
  const version = spawnSync(TCPDUMP, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0];
  const started = Date.now();
  const frames = generate(o.seed, o.frames);
  if (o.show !== undefined) return show(frames[o.show], o);
  const dir = o.keep ?? mkdtempSync(join(tmpdir(), "pval-fuzz-"));
  mkdirSync(dir, { recursive: true });
  const all = join(dir, `seed-${o.seed}.pcap`);
  writePcap(
    all,
    frames,
    frames.map((_, i) => i),
  );
  const kinds = new Map();
  let differences = 0;
  let compared = 0;
  for (const [flags, options] of FLAG_SETS) {
    const theirs = blocks(tcpdump(all, flags));
    const mine = blocks(ours(all, options));
    if (theirs.length !== frames.length || mine.length !== frames.length) {
      console.log(`${flags.join(" ")}: tcpdump printed ${theirs.length} packets, the printer ${mine.length}`);
      differences++;
      continue;
    }
    for (let i = 0; i < frames.length; i++) {
      compared++;
      const pval = pvalText(frames[i].data);
      const k = firstDifference(theirs[i], mine[i], pval);
      if (k < 0) continue;
      differences++;
      const name = kind(theirs[i][k], mine[i][k]);
      const seen = kinds.get(name);
      if (seen) {
        seen.count++;
        seen.flagSets.add(flags.join(" "));
      } else {
        const first = { count: 1, i, flags, options, k, theirs: theirs[i][k], mine: mine[i][k] };
        kinds.set(name, { ...first, flagSets: new Set([flags.join(" ")]) });
      }
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const sorted = [...kinds.entries()].sort((a, b) => b[1].count - a[1].count);
  for (const [name, d] of sorted.slice(0, o.report)) {
    const small = minimise(dir, frames[d.i], d.flags, d.options, name);
    console.log(`\n${d.count} × ${name}   [${[...d.flagSets].join(", ")}]`);
    console.log(`  frame ${d.i} (seed ${o.seed}), ${d.flags.join(" ")}, line ${d.k + 1}:`);
    console.log(`  tcpdump: ${d.theirs ?? "(no line)"}`);
    console.log(`  printer: ${d.mine ?? "(no line)"}`);
    console.log(`  frame, first ${small.data.length} of ${frames[d.i].data.length} bytes (origlen ${small.origlen}):`);
    console.log(hex(small.data));
  }
  if (sorted.length > o.report) console.log(`\n… and ${sorted.length - o.report} more kinds of difference`);
  console.log(
    `\nfuzz: ${version}, seed ${o.seed}, ${o.frames} frames, ${FLAG_SETS.length} flag sets, ${compared} packet prints compared, differences: ${differences} (${seconds} s)`,
  );
  if (o.keep === undefined) rmSync(dir, { recursive: true, force: true });
  return differences === 0 ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`fuzz: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
