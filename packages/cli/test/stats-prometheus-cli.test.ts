// `pval stats -r RX --tx TX --listen 127.0.0.1:0` scraped by a real
// Prometheus server: every figure Prometheus stores equals the one of
// `pval stats -r RX --tx TX --json` for the same captures (made here with
// @pval/decode's builders and pcap writer: loss, duplicates, reordering,
// frames without the option and non-IPv4 frames), and `promtool check
// metrics` passes on the endpoint's text. Skips (with a printed reason) only
// without Debian's prometheus package, and fails under CI then.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrame, ipv4FromString, pcapFileHeader, pcapRecord } from "@pval/decode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/commands/stats.js";
import { PrometheusServer, prometheusSkipReason, type QueryResult } from "./prometheus-server.js";
import { runCaptured } from "./run-captured.js";

const T0 = 1_700_000_000n * 1_000_000_000n;
const DST = ipv4FromString("10.0.0.2");
const MAC_A = new Uint8Array([2, 0, 0, 0, 0, 0xa]);
const MAC_B = new Uint8Array([2, 0, 0, 0, 0, 0xb]);

interface Rec {
  ns: bigint;
  frame: Uint8Array;
}

function pvalFrame(src: string, cpu: number, seq: bigint): Uint8Array {
  return encodeFrame({
    ethernet: { src: MAC_A, dst: MAC_B },
    ipv4: { src: ipv4FromString(src), dst: DST, options: [{ kind: "pval", cpu, seq }] },
    udp: { srcPort: 40000 + cpu, dstPort: 7777 },
    payload: new Uint8Array(32),
  });
}

function writePcap(path: string, recs: Rec[]): void {
  const sorted = [...recs].sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  const parts = [pcapFileHeader({ precision: "nano" })];
  for (const r of sorted) {
    parts.push(
      pcapRecord(
        { tsSec: Number(r.ns / 1_000_000_000n), tsNsec: Number(r.ns % 1_000_000_000n), data: r.frame },
        "nano",
      ),
    );
  }
  writeFileSync(path, Buffer.concat(parts));
}

/**
 * Two streams, sent every 1 ms and 2 ms with delays that vary: A loses 4
 * packets, receives 2 twice and 2 out of order; B loses one, gets one
 * reordered far. Plus frames that the analyser counts but does not measure.
 */
function makeCaptures(dir: string): { rx: string; tx: string } {
  const rx: Rec[] = [];
  const tx: Rec[] = [];
  const streams = [
    {
      src: "10.0.0.3",
      cpu: 0,
      first: 0n,
      n: 200,
      gapNs: 1_000_000n,
      lost: [10, 50, 51, 120],
      dup: [30, 31],
      late: [70, 140],
    },
    { src: "10.0.0.20", cpu: 1, first: 1000n, n: 100, gapNs: 2_000_000n, lost: [50], dup: [], late: [20] },
  ];
  for (const s of streams) {
    for (let i = 0; i < s.n; i++) {
      const seq = s.first + BigInt(i);
      const frame = pvalFrame(s.src, s.cpu, seq);
      const sent = T0 + BigInt(i) * s.gapNs + BigInt((i * 37) % 11) * 1_000n;
      tx.push({ ns: sent, frame });
      if (s.lost.includes(i)) continue;
      // 100 µs plus a varying part; a late packet arrives after the next three.
      const delay = s.late.includes(i) ? 3n * s.gapNs + 500_000n : 100_000n + BigInt((i * 13) % 7) * 30_000n;
      rx.push({ ns: sent + delay, frame });
      if (s.dup.includes(i)) rx.push({ ns: sent + delay + 5_000n, frame });
    }
  }
  for (let i = 0; i < 3; i++) {
    rx.push({
      ns: T0 + BigInt(i) * 7_000_000n,
      frame: encodeFrame({
        ethernet: { src: MAC_A, dst: MAC_B },
        arp: {
          op: 1,
          sha: MAC_A,
          spa: new Uint8Array([10, 0, 0, 3]),
          tha: new Uint8Array(6),
          tpa: new Uint8Array([10, 0, 0, 2]),
        },
      }),
    });
  }
  for (let i = 0; i < 2; i++) {
    rx.push({
      ns: T0 + BigInt(i) * 9_000_000n + 1n,
      frame: encodeFrame({
        ethernet: { src: MAC_A, dst: MAC_B },
        ipv4: { src: ipv4FromString("10.0.0.9"), dst: DST },
        udp: { srcPort: 1, dstPort: 2 },
      }),
    });
  }
  const paths = { rx: join(dir, "rx.pcap"), tx: join(dir, "tx.pcap") };
  writePcap(paths.rx, rx);
  writePcap(paths.tx, tx);
  return paths;
}

interface DistJson {
  count: number;
  min: number;
  mean: number;
  max: number;
}
interface StreamJson {
  src: string;
  cpu: number;
  received: number;
  duplicates: number;
  missing: number;
  reordered: number;
  sent: number | null;
  lost: number | null;
  interval_ns: DistJson | null;
  ipdv_ns: DistJson | null;
}

describe.skipIf(prometheusSkipReason !== undefined)("pval stats -r --listen scraped by Prometheus", () => {
  let dir: string;
  let report: { streams: StreamJson[]; no_option: number; not_ipv4: number };
  let prom: PrometheusServer;
  let address: string;
  let serving: Promise<{ code: number; out: string; err: string }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pval-stats-prom-"));
    const { rx, tx } = makeCaptures(dir);
    const json = await runCaptured(main, ["-r", rx, "--tx", tx, "--json"]);
    expect(json.code).toBe(0);
    report = JSON.parse(json.out);

    let err = "";
    let ready: (a: string) => void = () => {};
    const listening = new Promise<string>((resolve) => {
      ready = resolve;
    });
    serving = (async () => {
      let out = "";
      const code = await main(["-r", rx, "--tx", tx, "--listen", "127.0.0.1:0"], {
        out: (s) => void (out += s),
        err: (s) => {
          err += s;
          const m = /serving metrics on http:\/\/(\S+)\/metrics/.exec(err);
          if (m) ready(m[1] as string);
        },
      });
      return { code, out, err };
    })();
    address = await Promise.race([
      listening,
      serving.then((r) => {
        throw new Error(`pval stats ended before listening: exit ${r.code}: ${r.err}`);
      }),
    ]);
    prom = await PrometheusServer.start([address]);
    await prom.waitForScrapes();
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    if (serving) {
      process.emit("SIGINT");
      await serving;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const one = async (expr: string): Promise<number> => {
    const r: QueryResult[] = await prom.query(expr);
    if (r.length !== 1) throw new Error(`${expr}: ${r.length} results`);
    return (r[0] as QueryResult).value;
  };

  it("the captures have what the test is about", () => {
    expect(report.streams.map((s) => [s.src, s.cpu])).toEqual([
      ["10.0.0.3", 0],
      ["10.0.0.20", 1],
    ]);
    const [a, b] = report.streams as [StreamJson, StreamJson];
    expect([a.lost, a.duplicates, a.reordered > 0, b.lost, b.reordered > 0]).toEqual([4, 2, true, 1, true]);
    expect([report.no_option, report.not_ipv4]).toEqual([2, 3]);
  });

  it("Prometheus holds the counts of pval stats --json", async () => {
    for (const s of report.streams) {
      const sel = `{job="pval",src="${s.src}",cpu="${s.cpu}"}`;
      expect(await one(`pval_stream_received_packets_total${sel}`)).toBe(s.received);
      expect(await one(`pval_stream_duplicate_packets_total${sel}`)).toBe(s.duplicates);
      expect(await one(`pval_stream_missing_packets${sel}`)).toBe(s.missing);
      expect(await one(`pval_stream_reordered_packets_total${sel}`)).toBe(s.reordered);
      expect(await one(`pval_stream_sent_packets_total${sel}`)).toBe(s.sent);
      expect(await one(`pval_stream_lost_packets${sel}`)).toBe(s.lost);
    }
    expect(await one('pval_no_option_packets_total{job="pval",direction="rx"}')).toBe(report.no_option);
    expect(await one('pval_not_ipv4_packets_total{job="pval",direction="rx"}')).toBe(report.not_ipv4);
    expect(await one('pval_streams{job="pval"}')).toBe(report.streams.length);
  });

  it("Prometheus holds the interval and IPDV distributions of pval stats --json", async () => {
    for (const s of report.streams) {
      const sel = `{job="pval",src="${s.src}",cpu="${s.cpu}"}`;
      const iv = s.interval_ns as DistJson;
      expect(await one(`pval_stream_interarrival_seconds_count${sel}`)).toBe(iv.count);
      expect((await one(`pval_stream_interarrival_min_seconds${sel}`)) * 1e9).toBeCloseTo(iv.min, 3);
      expect((await one(`pval_stream_interarrival_max_seconds${sel}`)) * 1e9).toBeCloseTo(iv.max, 3);
      const sum = (await one(`pval_stream_interarrival_seconds_sum${sel}`)) * 1e9;
      expect(sum / iv.count).toBeCloseTo(iv.mean, 0);
      const ipdv = s.ipdv_ns as DistJson;
      expect(await one(`pval_stream_ipdv_seconds_count${sel}`)).toBe(ipdv.count);
      expect(await one(`pval_stream_ipdv_seconds_bucket{job="pval",src="${s.src}",cpu="${s.cpu}",le="+Inf"}`)).toBe(
        ipdv.count,
      );
      expect((await one(`pval_stream_ipdv_min_seconds${sel}`)) * 1e9).toBeCloseTo(ipdv.min, 3);
      expect((await one(`pval_stream_ipdv_max_seconds${sel}`)) * 1e9).toBeCloseTo(ipdv.max, 3);
      // The reordered packets make negative IPDV: a bucket below zero holds them.
      expect(ipdv.min).toBeLessThan(0);
      expect(
        await one(`pval_stream_ipdv_seconds_bucket{job="pval",src="${s.src}",cpu="${s.cpu}",le="0"}`),
      ).toBeGreaterThan(0);
    }
  });

  it("promtool check metrics passes on the endpoint", async () => {
    const text = await (await fetch(`http://${address}/metrics`)).text();
    expect(text).toContain("pval_stream_received_packets_total");
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });
});
