// `pval stats -r` against `tcpdump -nv -r`, side by side in one run, and the
// peak memory of a long analysis.
//
// 1. The 1M-packet mixed capture of the tcpdump-printer benchmark
//    (packages/tcpdump-printer/bench/print.bench.mjs --capture): `pval stats
//    -r` against `tcpdump -nv -r` of the same file. Goal: <= 0.5x the wall time.
// 2. A sender's and a receiver's 1M-packet captures (bench/gen-capture.mjs:
//    loss, duplicates, reordering): `pval stats -r RX --tx TX` against the
//    same `tcpdump -nv -r` of the mixed capture. Goal: <= 1.0x.
// 3. 10M packets each side, streamed through FIFOs by two generators (no
//    disk), `pval stats -r RX_FIFO --tx TX_FIFO`: peak RSS of pval. Goal:
//    < 200 MiB.
//
// Each command runs under /usr/bin/time -v with stdout to /dev/null, pval and
// tcpdump alternating, RUNS rounds (default 3); the best wall time of each
// counts. Needs the built CLI (turbo's bench task builds it), tcpdump and
// /usr/bin/time.
//
//   pnpm --filter @pval/stats bench [-- --runs N --long-packets N]

import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = flag("--runs", 3);
const LONG = flag("--long-packets", 10_000_000);
const TCPDUMP = process.env.TCPDUMP ?? "/usr/bin/tcpdump";
const TIME = "/usr/bin/time";
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const CLI = here("../../cli/dist/bin.js");
const PRINT_BENCH = here("../../tcpdump-printer/bench/print.bench.mjs");
const GEN = here("./gen-capture.mjs");

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

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(" ")} failed (${r.status})`);
}

/** Parses /usr/bin/time -v output. */
function parseTime(stderr) {
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, cpu: Number(user[1]) + Number(sys[1]), rssKiB: Number(rss[1]) };
}

/** Runs a command under /usr/bin/time -v with stdout to /dev/null. */
function measure(cmd, cmdArgs) {
  const devnull = openSync("/dev/null", "w");
  const r = spawnSync(TIME, ["-v", cmd, ...cmdArgs], {
    env: { ...process.env, TZ: "UTC" },
    stdio: ["ignore", devnull, "pipe"],
    encoding: "utf8",
  });
  closeSync(devnull);
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return parseTime(r.stderr);
}

const fmt = (m) => `${m.seconds.toFixed(2)} s wall, ${m.cpu.toFixed(2)} s cpu, ${(m.rssKiB / 1024).toFixed(0)} MiB`;

const dir = mkdtempSync(join(tmpdir(), "pval-stats-bench-"));
try {
  const mixed = join(dir, "mixed.pcap");
  const rx = join(dir, "rx.pcap");
  const tx = join(dir, "tx.pcap");
  run(process.execPath, [PRINT_BENCH, "--capture", mixed]);
  run(process.execPath, [GEN, "--side", "tx", "--packets", "1000000", "--out", tx]);
  run(process.execPath, [GEN, "--side", "rx", "--packets", "1000000", "--out", rx]);
  console.log(`captures: ${mixed} (1M mixed), ${tx} and ${rx} (1M sent, received with loss/dup/reordering)`);

  const best = {};
  const keep = (name, m) => {
    if (!best[name] || m.seconds < best[name].seconds) best[name] = m;
  };
  for (let round = 1; round <= RUNS; round++) {
    const t = measure(TCPDUMP, ["-nv", "-r", mixed]);
    const s = measure(process.execPath, [CLI, "stats", "-r", mixed, "--json"]);
    const j = measure(process.execPath, [CLI, "stats", "-r", rx, "--tx", tx, "--json"]);
    keep("tcpdump", t);
    keep("rx", s);
    keep("join", j);
    console.log(
      `round ${round}: tcpdump -nv -r mixed ${fmt(t)}; pval stats -r mixed ${fmt(s)}; pval stats -r RX --tx TX ${fmt(j)}`,
    );
  }
  const ratio = (a) => (best[a].seconds / best.tcpdump.seconds).toFixed(2);
  console.log(
    `best: tcpdump ${best.tcpdump.seconds.toFixed(2)} s; pval stats -r ${best.rx.seconds.toFixed(2)} s = ${ratio("rx")}x (goal <= 0.5); ` +
      `pval stats -r --tx ${best.join.seconds.toFixed(2)} s = ${ratio("join")}x (goal <= 1.0)`,
  );

  // Long run through FIFOs: two generators, one pval stats.
  rmSync(rx);
  rmSync(tx);
  const rxFifo = join(dir, "rx.fifo");
  const txFifo = join(dir, "tx.fifo");
  run("mkfifo", [rxFifo, txFifo]);
  const gens = ["rx", "tx"].map((side) =>
    spawn(
      process.execPath,
      [GEN, "--side", side, "--packets", String(LONG), "--out", side === "rx" ? rxFifo : txFifo],
      {
        stdio: "inherit",
      },
    ),
  );
  const started = performance.now();
  const long = measure(process.execPath, [CLI, "stats", "-r", rxFifo, "--tx", txFifo, "--json"]);
  await Promise.all(gens.map((g) => new Promise((r) => (g.exitCode !== null ? r() : g.once("exit", r)))));
  console.log(
    `long: ${LONG} packets each side through FIFOs in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
      `pval stats peak RSS ${(long.rssKiB / 1024).toFixed(0)} MiB (goal < 200)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
