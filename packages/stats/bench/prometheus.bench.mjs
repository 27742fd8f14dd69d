// What 100 scrapes a second cost an analysis, on the host: the analyser is
// fed on the event loop (1000 packets per turn, 1000 streams, with TX copies
// so every stream has interval and IPDV histograms) for SECONDS, with the
// exporter listening; in one round nothing scrapes it, in the other a child
// process scrapes it RATE times a second. Rounds alternate, ROUNDS of each;
// the medians of packets analysed per second are compared (ratio with / without),
// and the event loop's delay while scraped is reported (p99, max), next to
// the time one rendering of the 1000 streams takes.
//
//   pnpm --filter @pval/stats build && node packages/stats/bench/prometheus.bench.mjs [--rounds N] [--seconds S] [--rate R]

import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { StatsAnalyser } from "../dist/index.js";
import { StatsExporter, serveMetrics } from "../dist/prometheus/index.js";

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = flag("--rounds", 3);
const SECONDS = flag("--seconds", 5);
const RATE = flag("--rate", 100);
const STREAMS = 1000;
const PER_TURN = 1000;
const DST = 0x0a000002;

// The scraper asks for gzip (as Prometheus does) and drops the bytes, so its
// own CPU time stays small next to the analysis it shares the machine with.
const SCRAPER = `
const http = require("node:http");
const [url, rate, seconds] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
let ok = 0, failed = 0;
const end = Date.now() + Number(seconds) * 1000;
const timer = setInterval(() => {
  if (Date.now() >= end) { clearInterval(timer); setTimeout(() => { console.log(JSON.stringify({ ok, failed })); agent.destroy(); }, 1000); return; }
  http.get(url, { agent, headers: { "Accept-Encoding": "gzip" } }, (res) => {
    res.on("data", () => {});
    res.on("end", () => (res.statusCode === 200 ? ok++ : failed++));
  }).on("error", () => failed++);
}, 1000 / Number(rate));
`;

async function round(scraped) {
  const analyser = new StatsAnalyser({ withTx: true, maxStreams: STREAMS });
  const exporter = new StatsExporter({ snapshot: () => analyser.snapshot() }, { maxStreams: STREAMS });
  const server = await serveMetrics(exporter, { host: "127.0.0.1", port: 0 });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let scraper = null;
  let scrapes = null;
  if (scraped) {
    scraper = spawn(
      process.execPath,
      ["-e", SCRAPER, `http://${server.address}/metrics`, String(RATE), String(SECONDS)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    scraper.stdout.on("data", (d) => {
      scrapes = JSON.parse(d.toString());
    });
  }
  let seq = 0n;
  let t = 1_700_000_000_000_000_000n;
  let packets = 0;
  const started = performance.now();
  const end = started + SECONDS * 1000;
  delay.enable();
  await new Promise((resolve) => {
    const turn = () => {
      for (let i = 0; i < PER_TURN; i++) {
        const s = packets % STREAMS;
        const src = 0x0a010000 + s;
        t += 1000n;
        if (s === 0) seq++;
        analyser.addTx(t, src, DST, 0, seq);
        analyser.addRx(t + 50_000n + BigInt((packets * 7) % 13) * 1000n, src, DST, 0, seq);
        packets++;
      }
      if (performance.now() < end) setImmediate(turn);
      else resolve();
    };
    setImmediate(turn);
  });
  delay.disable();
  const secs = (performance.now() - started) / 1000;
  if (scraper) await new Promise((resolve) => scraper.on("exit", resolve));
  // One rendering of the final state, timed apart (the server's is cached).
  const timed = new StatsExporter({ snapshot: () => analyser.snapshot() }, { maxStreams: STREAMS, cacheMs: 0 });
  const r0 = performance.now();
  const text = await timed.render("prometheus");
  const renderMs = performance.now() - r0;
  await server.close();
  return {
    pps: packets / secs,
    p99ms: delay.percentile(99) / 1e6,
    maxms: delay.max / 1e6,
    scrapes,
    renderMs,
    bytes: text.length,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quiet = [];
const loaded = [];
for (let i = 0; i < ROUNDS; i++) {
  quiet.push(await round(false));
  loaded.push(await round(true));
  const q = quiet[i];
  const l = loaded[i];
  console.log(
    `round ${i + 1}: without scrapes ${Math.round(q.pps)} pkt/s (loop p99 ${q.p99ms.toFixed(1)} ms, max ${q.maxms.toFixed(1)} ms); ` +
      `${RATE} scrapes/s ${Math.round(l.pps)} pkt/s (loop p99 ${l.p99ms.toFixed(1)} ms, max ${l.maxms.toFixed(1)} ms, ` +
      `scrapes ok ${l.scrapes?.ok} failed ${l.scrapes?.failed}); one rendering of ${STREAMS} streams ${l.renderMs.toFixed(1)} ms, ${(l.bytes / 1024).toFixed(0)} KiB`,
  );
}
const mq = median(quiet.map((r) => r.pps));
const ml = median(loaded.map((r) => r.pps));
console.log(
  `median: ${Math.round(mq)} pkt/s without scrapes, ${Math.round(ml)} pkt/s with ${RATE} scrapes/s: ratio ${(ml / mq).toFixed(3)}`,
);
