// `pval print -nv -r` against `tcpdump -nv -r`, side by side in one run.
//
// Builds a pcap of mixed traffic (ICMP echo with option 222, TCP with
// options and data, UDP, DNS, ARP, IPv6) with @pval/decode's frame builders,
// then prints it with both to /dev/null, TZ=UTC for both, under
// /usr/bin/time -v. Reports wall time, peak RSS and the ratio.
//
//   pnpm --filter @pval/tcpdump-printer bench [-- --packets N --runs N]
//   node bench/print.bench.mjs --packets N --capture FILE   (only build the capture)
//
// Needs the built packages (turbo's bench task builds them first) and
// /usr/bin/time (Debian package `time`).

import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFrame, ipv4FromString, pcapFileHeader, pcapRecord } from "@pval/decode";

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const PACKETS = flag("--packets", 1_000_000);
const RUNS = flag("--runs", 3);
const TCPDUMP = process.env.TCPDUMP ?? "/usr/bin/tcpdump";
const TIME = "/usr/bin/time";
const CLI = fileURLToPath(new URL("../../cli/dist/bin.js", import.meta.url));

for (const [path, what] of [
  [TCPDUMP, "tcpdump (apt-get install tcpdump)"],
  [TIME, "/usr/bin/time (apt-get install time)"],
  [CLI, "the pval CLI build (pnpm --filter @pval/cli build)"],
]) {
  if (!existsSync(path)) {
    console.error(`bench: missing ${what}`);
    process.exit(1);
  }
}

const mac = (s) => Uint8Array.from(s.split(":").map((h) => Number.parseInt(h, 16)));
const A = mac("08:00:27:19:12:a4");
const B = mac("ea:51:d7:0c:95:1a");
const IP_A = ipv4FromString("10.0.0.2");
const IP_B = ipv4FromString("10.0.0.3");
const echoData = Uint8Array.from({ length: 56 }, (_, i) => i + 0x10);
const v6a = Uint8Array.from([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0x27, 0xff, 0xfe, 0x19, 0x12, 0xa4]);
const v6b = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const dnsQuery = Uint8Array.from([
  0x12,
  0x34,
  1,
  0,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  7,
  ...Buffer.from("example"),
  3,
  ...Buffer.from("com"),
  0,
  0,
  1,
  0,
  1,
]);

/** Frame i of the mix: 40% ICMP with option 222, 30% TCP, 15% UDP, 5% DNS, 5% ARP, 5% IPv6. */
function frame(i) {
  const k = i % 20;
  const seq = BigInt(i);
  if (k < 8) {
    const reply = k % 2 === 1;
    return encodeFrame({
      ethernet: reply ? { src: B, dst: A } : { src: A, dst: B },
      ipv4: {
        src: reply ? IP_B : IP_A,
        dst: reply ? IP_A : IP_B,
        id: i & 0xffff,
        options: [{ kind: "pval", cpu: i % 4, seq }],
      },
      icmp: { type: reply ? 0 : 8, id: 21554, sequence: (i >> 1) & 0xffff },
      payload: echoData,
    });
  }
  if (k < 14) {
    const back = k % 2 === 1;
    return encodeFrame({
      ethernet: back ? { src: B, dst: A } : { src: A, dst: B },
      ipv4: { src: back ? IP_B : IP_A, dst: back ? IP_A : IP_B, id: i & 0xffff, df: true },
      tcp: {
        srcPort: back ? 5001 : 43210,
        dstPort: back ? 43210 : 5001,
        seq: (1000 + i * 100) >>> 0,
        ack: (5000 + i) >>> 0,
        flags: 0x18,
        window: 502,
        options: [{ kind: "nop" }, { kind: "nop" }, { kind: "timestamp", value: i, echo: i - 1 }],
      },
      payload: k === 12 ? new Uint8Array(100) : new Uint8Array(0),
    });
  }
  if (k < 17) {
    return encodeFrame({
      ethernet: { src: A, dst: B },
      ipv4: { src: IP_A, dst: IP_B, options: [{ kind: "pval", cpu: 1, seq }] },
      udp: { srcPort: 40000, dstPort: 9999 },
      payload: new Uint8Array(32),
    });
  }
  if (k === 17) {
    return encodeFrame({
      ethernet: { src: A, dst: B },
      ipv4: { src: IP_A, dst: IP_B },
      udp: { srcPort: 53001, dstPort: 53 },
      payload: dnsQuery,
    });
  }
  if (k === 18) {
    return encodeFrame({
      ethernet: { src: A, dst: mac("ff:ff:ff:ff:ff:ff") },
      arp: { op: 1, sha: A, spa: Uint8Array.of(10, 0, 0, 2), tha: new Uint8Array(6), tpa: Uint8Array.of(10, 0, 0, 3) },
    });
  }
  return encodeFrame({
    ethernet: { src: A, dst: B },
    ipv6: { src: v6a, dst: v6b },
    icmpv6: { type: 128, id: 1, sequence: i & 0xffff },
    payload: new Uint8Array(8),
  });
}

function buildCapture(path) {
  const fd = openSync(path, "w");
  writeSync(fd, pcapFileHeader());
  let chunk = [];
  let size = 0;
  const base = 1700000000;
  for (let i = 0; i < PACKETS; i++) {
    const rec = pcapRecord({ tsSec: base + Math.floor(i / 1000), tsNsec: (i % 1000) * 1000_000, data: frame(i) });
    chunk.push(rec);
    size += rec.length;
    if (size > 1 << 22) {
      writeSync(fd, Buffer.concat(chunk));
      chunk = [];
      size = 0;
    }
  }
  writeSync(fd, Buffer.concat(chunk));
  closeSync(fd);
}

/** Runs a command under /usr/bin/time -v with stdout to /dev/null; returns seconds and peak KiB. */
function measure(cmd, cmdArgs) {
  const devnull = openSync("/dev/null", "w");
  const r = spawnSync(TIME, ["-v", cmd, ...cmdArgs], {
    env: { ...process.env, TZ: "UTC" },
    stdio: ["ignore", devnull, "pipe"],
    encoding: "utf8",
  });
  closeSync(devnull);
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, cpu: Number(user[1]) + Number(sys[1]), rssKiB: Number(rss[1]) };
}

const keep = args.indexOf("--capture");
if (keep >= 0) {
  // Only build the capture (for profiling or a manual comparison).
  buildCapture(args[keep + 1]);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "pval-print-bench-"));
try {
  const file = join(dir, "mixed.pcap");
  const t0 = performance.now();
  buildCapture(file);
  console.log(`built ${PACKETS} packets in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${file}`);
  const best = { pval: null, tcpdump: null };
  for (let run = 0; run < RUNS; run++) {
    const p = measure(process.execPath, [CLI, "print", "-nv", "-r", file]);
    const t = measure(TCPDUMP, ["-nv", "-r", file]);
    console.log(
      `run ${run + 1}: pval print ${p.seconds.toFixed(2)} s wall, ${p.cpu.toFixed(2)} s cpu, ${(p.rssKiB / 1024).toFixed(0)} MiB; ` +
        `tcpdump ${t.seconds.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s cpu, ${(t.rssKiB / 1024).toFixed(0)} MiB`,
    );
    if (!best.pval || p.seconds < best.pval.seconds)
      best.pval = { ...p, cpu: Math.min(p.cpu, best.pval?.cpu ?? p.cpu) };
    else best.pval.cpu = Math.min(best.pval.cpu, p.cpu);
    if (!best.tcpdump || t.seconds < best.tcpdump.seconds) {
      best.tcpdump = { ...t, cpu: Math.min(t.cpu, best.tcpdump?.cpu ?? t.cpu) };
    } else best.tcpdump.cpu = Math.min(best.tcpdump.cpu, t.cpu);
  }
  const ratio = best.pval.seconds / best.tcpdump.seconds;
  const cpuRatio = best.pval.cpu / best.tcpdump.cpu;
  console.log(`\nbest of ${RUNS}, ${PACKETS} packets, -nv, TZ=UTC, output to /dev/null:`);
  for (const [name, m] of [
    ["pval print", best.pval],
    ["tcpdump   ", best.tcpdump],
  ]) {
    console.log(
      `  ${name}  ${m.seconds.toFixed(2)} s wall  ${m.cpu.toFixed(2)} s cpu  peak RSS ${(m.rssKiB / 1024).toFixed(1)} MiB`,
    );
  }
  console.log(`  ratio pval/tcpdump: wall ${ratio.toFixed(2)}, cpu ${cpuRatio.toFixed(2)} (target <= 1.00)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
