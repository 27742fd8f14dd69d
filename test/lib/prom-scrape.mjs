// SPDX-License-Identifier: GPL-2.0
// Scrapes a metrics endpoint from inside the guest (which has node, maybe not curl).
//
//   node test/lib/prom-scrape.mjs get URL [ACCEPT]
//       prints the body; "status S type T" on stderr; exit 1 unless 200
//   node test/lib/prom-scrape.mjs sum URL NAME [LABEL=VALUE...]
//       prints the sum of NAME's samples whose labels include the given ones
//   node test/lib/prom-scrape.mjs load URL RATE SECONDS
//       RATE scrapes a second for SECONDS on a fixed schedule, and prints
//       "scrapes sent N in S s ok N failed M unanswered K max_ms X";
//       exit 1 unless every one was answered with 200
//   node test/lib/prom-scrape.mjs compare URL JSON_FILE
//       compares the per-stream counters of the endpoint with the report
//       of `pval stats --json` in JSON_FILE (its last line); prints each
//       mismatch and "compared N values, M differ"; exit 1 when any differ

const [mode, url, ...rest] = process.argv.slice(2);

function parse(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const labels = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

async function get(accept) {
  const res = await fetch(url, accept ? { headers: { Accept: accept } } : {});
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
}

function matching(samples, name, want) {
  return samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v));
}

async function main() {
  if (mode === "get") {
    const r = await get(rest[0]);
    process.stderr.write(`status ${r.status} type ${r.type}\n`);
    process.stdout.write(r.body);
    return r.status === 200 ? 0 : 1;
  }
  if (mode === "sum") {
    const [name, ...pairs] = rest;
    const want = Object.fromEntries(pairs.map((p) => p.split("=", 2)));
    const r = await get();
    const hits = matching(parse(r.body), name, want);
    console.log(hits.reduce((a, s) => a + s.value, 0));
    return 0;
  }
  if (mode === "load") {
    // On a fixed schedule, not waiting for answers, over keep-alive
    // connections, asking for gzip and dropping the bytes (as Prometheus reads
    // them, without the cost of parsing them here); then up to 30 s for the
    // last answers.
    const http = await import("node:http");
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const rate = Number(rest[0]);
    const seconds = Number(rest[1]);
    let sent = 0;
    let ok = 0;
    let failed = 0;
    let maxMs = 0;
    const one = () =>
      new Promise((resolve) => {
        const t = performance.now();
        const done = (good) => {
          if (good) ok++;
          else failed++;
          maxMs = Math.max(maxMs, performance.now() - t);
          resolve();
        };
        http
          .get(url, { agent, headers: { "Accept-Encoding": "gzip" } }, (res) => {
            res.on("data", () => {});
            res.on("end", () => done(res.statusCode === 200));
            res.on("error", () => done(false));
          })
          .on("error", () => done(false));
      });
    const pending = [];
    const start = performance.now();
    for (let i = 0; i < rate * seconds; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sent++;
      pending.push(one());
    }
    const scheduled = (performance.now() - start) / 1000;
    await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, 30_000))]);
    agent.destroy();
    console.log(
      `scrapes sent ${sent} in ${scheduled.toFixed(1)} s ok ${ok} failed ${failed} unanswered ${sent - ok - failed} max_ms ${maxMs.toFixed(1)}`,
    );
    return failed === 0 && ok === sent ? 0 : 1;
  }
  if (mode === "compare") {
    const { readFileSync } = await import("node:fs");
    const lines = readFileSync(rest[0], "utf8").trim().split("\n");
    const report = JSON.parse(lines[lines.length - 1]);
    const samples = parse((await get()).body);
    const fields = [
      ["received", "pval_stream_received_packets_total"],
      ["duplicates", "pval_stream_duplicate_packets_total"],
      ["missing", "pval_stream_missing_packets"],
      ["reordered", "pval_stream_reordered_packets_total"],
      ["sent", "pval_stream_sent_packets_total"],
      ["lost", "pval_stream_lost_packets"],
    ];
    let n = 0;
    let bad = 0;
    for (const s of report.streams) {
      for (const [key, name] of fields) {
        if (s[key] === null) continue;
        const hits = matching(samples, name, { src: s.src, cpu: String(s.cpu) });
        n++;
        if (hits.length !== 1 || hits[0].value !== s[key]) {
          bad++;
          console.log(`${s.src} cpu ${s.cpu} ${key}: json ${s[key]}, metrics ${hits.map((h) => h.value).join(",")}`);
        }
      }
    }
    const streams = matching(samples, "pval_streams", {})[0]?.value;
    n++;
    if (streams !== report.streams.length) {
      bad++;
      console.log(`streams: json ${report.streams.length}, metrics ${streams}`);
    }
    console.log(`compared ${n} values, ${bad} differ`);
    return bad === 0 && n > 1 ? 0 : 1;
  }
  console.error("usage: prom-scrape.mjs get|sum|load|compare URL ...");
  return 2;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`prom-scrape: ${err.message}`);
    process.exitCode = 1;
  },
);
