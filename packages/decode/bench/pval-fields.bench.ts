// Benchmark (not a test): 1,000,000 slots of mixed traffic in one buffer.
// Measures slots/s for (a) the pval fields (readPvalFields) and (b) a full
// decode of every layer (decodeSlot), and in the same run compiles and runs
// bench/pval-fields.c, a C loop extracting the same fields from the same
// bytes (written to a temp file), then prints both rates and their ratio.
//
// Run: pnpm --filter @pval/decode bench   (SLOTS=… ROUNDS=… to change the size)

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  decodeSlot,
  encodeFrame,
  type FrameSpec,
  PvalFieldColumns,
  PvalFields,
  readPvalFieldColumns,
  readPvalFields,
  SlotBatch,
  TcpFlag,
} from "../src/index.js";

const SLOTS = Number(process.env.SLOTS ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const FULL_ROUNDS = Number(process.env.FULL_ROUNDS ?? 2);
const here = fileURLToPath(new URL(".", import.meta.url));
const pkgDir = resolve(here, here.endsWith("/.out/") ? "../.." : "..");

// ---------------------------------------------------------------- traffic

let rng = 0x2545f491;
const rand = (n: number): number => {
  rng ^= rng << 13;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  return (rng >>> 0) % n;
};
const mac = (last: number): Uint8Array => Uint8Array.of(0x02, 0, 0, 0, 0, last);
const bytes = (n: number): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rand(256);
  return b;
};
const v6 = (last: number): Uint8Array => Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), last);

const seqs = new Map<number, bigint>();
function nextSeq(cpu: number): bigint {
  const s = (seqs.get(cpu) ?? 0xfffffff0n) + 1n;
  seqs.set(cpu, s);
  return s;
}

/** One frame of the mix and its length on the wire. */
function makeFrame(): { frame: Uint8Array; pktlen: number } {
  const ethernet = { dst: mac(1 + rand(4)), src: mac(10 + rand(4)) };
  const src = 0x0a000000 + rand(256);
  const dst = 0x0a000100 + rand(256);
  const cpu = rand(4);
  const pval = { kind: "pval" as const, cpu, seq: nextSeq(cpu) };
  const kind = rand(100);
  let spec: FrameSpec;
  if (kind < 30) {
    spec = {
      ethernet,
      ipv4: { src, dst, id: rand(65536), options: [pval] },
      icmp: { type: 8, id: 77, sequence: rand(65536) },
      payload: bytes(56),
    };
  } else if (kind < 50) {
    spec = {
      ethernet,
      ipv4: { src, dst, options: [pval] },
      udp: { srcPort: 40000 + rand(1000), dstPort: 4791 },
      payload: bytes(rand(200)),
    };
  } else if (kind < 62) {
    spec = {
      ethernet,
      ipv4: { src, dst, df: true, options: [pval] },
      tcp: {
        srcPort: 5201,
        dstPort: 40000 + rand(1000),
        seq: rand(2 ** 31),
        ack: rand(2 ** 31),
        flags: TcpFlag.ACK,
        options: [{ kind: "nop" }, { kind: "nop" }, { kind: "timestamp", value: rand(2 ** 31), echo: rand(2 ** 31) }],
      },
      payload: bytes(1200),
    };
  } else if (kind < 67) {
    spec = {
      ethernet,
      ipv4: { src, dst, options: [{ kind: "nop" }, { kind: "ra" }, pval] },
      udp: { srcPort: 5000, dstPort: 5001 },
      payload: bytes(32),
    };
  } else if (kind < 77) {
    spec = {
      ethernet,
      vlans: [{ vid: 100 + rand(10) }],
      ipv4: { src, dst, options: [pval] },
      udp: { srcPort: 7, dstPort: 7 },
      payload: bytes(64),
    };
  } else if (kind < 80) {
    spec = {
      ethernet,
      vlans: [{ tpid: 0x88a8, vid: 20 }, { vid: 30 }],
      ipv4: { src, dst, options: [pval] },
      icmp: { type: 0, id: 1, sequence: 2 },
      payload: bytes(16),
    };
  } else if (kind < 86) {
    spec = {
      ethernet,
      ipv4: { src, dst },
      tcp: {
        srcPort: 22,
        dstPort: 50000,
        flags: TcpFlag.SYN,
        options: [{ kind: "mss", value: 1460 }, { kind: "sack-permitted" }, { kind: "window-scale", shift: 7 }],
      },
    };
  } else if (kind < 93) {
    const ipv6 = { src: v6(1), dst: v6(2) };
    spec =
      rand(2) === 0
        ? {
            ethernet,
            ipv6,
            tcp: { srcPort: 443, dstPort: 50001, flags: TcpFlag.ACK | TcpFlag.PSH },
            payload: bytes(100),
          }
        : {
            ethernet,
            ipv6: { ...ipv6, extensions: [{ kind: "hop-by-hop", options: [{ type: 5, data: Uint8Array.of(0, 0) }] }] },
            icmpv6: { type: 143 },
            payload: bytes(20),
          };
  } else {
    spec = {
      ethernet,
      arp: {
        op: 1 + rand(2),
        sha: ethernet.src,
        spa: Uint8Array.of(10, 0, 0, 2),
        tha: new Uint8Array(6),
        tpa: Uint8Array.of(10, 0, 0, 3),
      },
    };
  }
  const frame = encodeFrame(spec);
  return { frame, pktlen: frame.length };
}

// ---------------------------------------------------------------- build

console.log(`building ${SLOTS.toLocaleString("en")} slots of mixed traffic...`);
const batch = SlotBatch.allocate(SLOTS);
for (let i = 0; i < SLOTS; i++) {
  const { frame, pktlen } = makeFrame();
  // Slots keep the first 256 bytes; len < pktlen for long frames, as in the kernel.
  batch.write(i, { frame, pktlen, tstamp: 1_700_000_000_000_000_000n + BigInt(i) * 1000n });
}

// ---------------------------------------------------------------- the C loop

const work = mkdtempSync(join(tmpdir(), "pval-bench-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const dataPath = join(work, "slots.bin");
const exe = join(work, "pval-fields");
writeFileSync(dataPath, batch.bytes);
execFileSync(
  process.env.CC ?? "cc",
  ["-O2", "-I", resolve(pkgDir, "../../kmod/include/uapi"), "-o", exe, join(pkgDir, "bench/pval-fields.c")],
  { stdio: "inherit" },
);

/** One run of the C loop (two passes over the file): its best rate and field sums. */
function cPass(): { rate: number; sums: number[] } {
  const [rate, ...sums] = execFileSync(exe, [dataPath, "2"], { encoding: "utf8" }).trim().split(" ").map(Number);
  return { rate: rate!, sums };
}

// ---------------------------------------------------------------- (a) pval fields in TypeScript

// CPU seconds of this process, so that other load on the machine does not count (the C loop does the same).
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// Adds rows 0..m-1 of the columns to the nine field sums (u32 wrap-around, as the C loop does).
function addRows(c: PvalFieldColumns, m: number, acc: Int32Array): void {
  const { status, ethertype, src, dst, cpu, seqLo, seqHi, tstampLo, tstampHi } = c;
  for (let k = 0; k < m; k++) {
    acc[0]! += status[k]!;
    acc[1]! += ethertype[k]!;
    acc[2]! += src[k]!;
    acc[3]! += dst[k]!;
    acc[4]! += cpu[k]!;
    acc[5]! += seqLo[k]!;
    acc[6]! += seqHi[k]!;
    acc[7]! += tstampLo[k]!;
    acc[8]! += tstampHi[k]!;
  }
}

/** One pass over every slot, per slot (`bulk` false) or 1024 rows per call: the rate and the field sums. */
function pvalFieldsPass(bulk: boolean): { rate: number; sums: number[] } {
  const acc = new Int32Array(9);
  const n = batch.count;
  const t0 = cpuSeconds();
  if (bulk) {
    const cols = new PvalFieldColumns(1024);
    for (let start = 0; start < n; ) {
      const m = readPvalFieldColumns(batch, start, cols);
      addRows(cols, m, acc);
      start += m;
    }
  } else {
    const out = new PvalFields();
    for (let i = 0; i < n; i++) {
      readPvalFields(batch, i, out);
      addRows(out.columns, 1, acc);
    }
  }
  const rate = n / (cpuSeconds() - t0);
  return { rate, sums: Array.from(acc, (s) => s >>> 0) };
}

// TypeScript and C passes alternate, so both see the same machine; the best of each counts.
let jsRate = 0;
let colsRate = 0;
let cRate = 0;
let jsSums: number[] = [];
let colsSums: number[] = [];
let cSums: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const js = pvalFieldsPass(false);
  const c = cPass();
  const rows = pvalFieldsPass(true);
  if (process.env.BENCH_VERBOSE)
    console.log(
      `round ${r}: per slot ${(js.rate / 1e6).toFixed(1)} columns ${(rows.rate / 1e6).toFixed(1)} c ${(c.rate / 1e6).toFixed(1)}`,
    );
  jsRate = Math.max(jsRate, js.rate);
  colsRate = Math.max(colsRate, rows.rate);
  cRate = Math.max(cRate, c.rate);
  jsSums = js.sums;
  colsSums = rows.sums;
  cSums = c.sums;
}

// ---------------------------------------------------------------- (b) full decode in TypeScript

let fullRate = 0;
let layers = 0;
for (let r = 0; r < FULL_ROUNDS; r++) {
  const t0 = cpuSeconds();
  let seen = 0;
  for (let i = 0; i < SLOTS; i++) {
    const f = decodeSlot(batch, i);
    if (f.tcp || f.udp || f.icmp || f.icmpv6 || f.arp) seen++;
  }
  fullRate = Math.max(fullRate, SLOTS / (cpuSeconds() - t0));
  layers = seen;
}

// ---------------------------------------------------------------- report

const fmt = (r: number): string => `${(r / 1e6).toFixed(1)} M slots/s`;
const sameAs = (a: number[]): boolean => a.length === cSums.length && a.every((s, k) => s === cSums[k]);
const same = sameAs(jsSums) && sameAs(colsSums);
console.log(
  `slots: ${SLOTS.toLocaleString("en")} in one ${(batch.bytes.length / 1e6).toFixed(0)} MB buffer; slots per CPU second, best of ${ROUNDS} alternating rounds`,
);
const pct = (r: number): string => `${((r / cRate) * 100).toFixed(1)}%`;
console.log(`(a) pval fields, C (cc -O2):            ${fmt(cRate)}`);
console.log(`    TypeScript, readPvalFieldColumns:   ${fmt(colsRate)}  ratio to C ${pct(colsRate)}`);
console.log(`    TypeScript, readPvalFields per slot: ${fmt(jsRate)}  ratio to C ${pct(jsRate)}`);
console.log(
  `    same fields as C:                   ${same ? "yes" : `NO (slot ${jsSums.join(",")} columns ${colsSums.join(",")} c ${cSums.join(",")})`}`,
);
console.log(
  `(b) full decode, TypeScript: ${fmt(fullRate)} (best of ${FULL_ROUNDS}; ${layers.toLocaleString("en")} slots with a transport or ARP layer)`,
);
if (!same) process.exitCode = 1;
