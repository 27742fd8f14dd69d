import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrame, ipv4FromString, pcapFileHeader, pcapngFileHeader, pcapngRecord, pcapRecord } from "@pval/decode";
import { SlotPcapngWriter } from "@pval/tcpdump-printer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CapturedRun, runCaptured } from "../../test/run-captured.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../command.js";
import { main } from "./stats.js";

const MAC = new Uint8Array([2, 0, 0, 0, 0, 1]);
const DST = ipv4FromString("10.0.0.2");
const S = 1_700_000_000;

function pval(src: string, cpu: number, seq: bigint): Uint8Array {
  return encodeFrame({
    ethernet: { src: MAC, dst: MAC },
    ipv4: { src: ipv4FromString(src), dst: DST, options: [{ kind: "pval", cpu, seq }] },
    udp: { srcPort: 1, dstPort: 2 },
    payload: new Uint8Array(16),
  });
}

/** [ns after S s, frame] records, written in the order given. */
function pcap(records: [number, Uint8Array][]): Uint8Array {
  const parts = [pcapFileHeader({ precision: "nano" })];
  for (const [ns, data] of records) parts.push(pcapRecord({ tsSec: S, tsNsec: ns, data }, "nano"));
  return Buffer.concat(parts);
}

const run = (args: string[]): Promise<CapturedRun> => runCaptured(main, args);

let dir: string;
let rx: string;
let tx: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pval-stats-"));
  rx = join(dir, "rx.pcap");
  tx = join(dir, "tx.pcap");
  // The sender: 10.0.0.20 cpu 1, seqs 0..5 every 1000 ns; 10.0.0.3 cpu 0, seqs 2^53+0..1.
  const big = 2n ** 53n;
  writeFileSync(
    tx,
    pcap([
      [0, pval("10.0.0.20", 1, 0n)],
      [1000, pval("10.0.0.20", 1, 1n)],
      [1500, pval("10.0.0.3", 0, big)],
      [2000, pval("10.0.0.20", 1, 2n)],
      [2500, pval("10.0.0.3", 0, big + 1n)],
      [3000, pval("10.0.0.20", 1, 3n)],
      [4000, pval("10.0.0.20", 1, 4n)],
      [5000, pval("10.0.0.20", 1, 5n)],
    ]),
  );
  // The receiver: seq 1 lost, 3 and 2 swapped, 4 twice; a frame without the
  // option and an ARP frame; records not in timestamp order (two devices).
  const noOption = encodeFrame({
    ethernet: { src: MAC, dst: MAC },
    ipv4: { src: ipv4FromString("10.0.0.20"), dst: DST },
    udp: { srcPort: 1, dstPort: 2 },
  });
  const arp = encodeFrame({
    ethernet: { src: MAC, dst: MAC },
    arp: { op: 1, sha: MAC, spa: new Uint8Array(4), tha: MAC, tpa: new Uint8Array(4) },
  });
  writeFileSync(
    rx,
    pcap([
      [100, pval("10.0.0.20", 1, 0n)],
      [3100, pval("10.0.0.20", 1, 3n)],
      [3300, pval("10.0.0.20", 1, 2n)],
      [4100, pval("10.0.0.20", 1, 4n)],
      [4150, pval("10.0.0.20", 1, 4n)],
      [5100, pval("10.0.0.20", 1, 5n)],
      [1600, pval("10.0.0.3", 0, big)],
      [2600, pval("10.0.0.3", 0, big + 1n)],
      [3400, noOption],
      [3500, arp],
    ]),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pval stats -r", () => {
  it("prints SPEC section 6's JSON, streams sorted by source address", async () => {
    const r = await run(["-r", rx, "--json"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT_OK);
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc)).toEqual(["streams", "no_option", "not_ipv4", "clock", "ring_drops", "ring_drop_windows"]);
    // A file without statistics blocks records no ring drops.
    expect(doc.ring_drop_windows).toEqual([]);
    // A classic pcap file does not say what stamped its packets.
    expect(doc.clock).toEqual({ rx: "unknown", tx: null });
    expect(doc.no_option).toBe(1);
    expect(doc.not_ipv4).toBe(1);
    expect(doc.streams.map((s: { src: string }) => s.src)).toEqual(["10.0.0.3", "10.0.0.20"]);
    const s = doc.streams[1];
    expect(Object.keys(s)).toEqual([
      "src",
      "cpu",
      "received",
      "unique",
      "duplicates",
      "first_seq",
      "last_seq",
      "missing",
      "sent",
      "lost",
      "reordered",
      "reorder_extent_max",
      "interval_ns",
      "ipdv_ns",
      "owd_ns",
    ]);
    expect(s).toMatchObject({
      cpu: 1,
      received: 6,
      unique: 5,
      duplicates: 1,
      first_seq: "0",
      last_seq: "5",
      missing: 1,
      sent: null,
      lost: null,
      reordered: 1,
      reorder_extent_max: 1,
      ipdv_ns: null,
      owd_ns: null,
    });
    expect(s.interval_ns).toMatchObject({ count: 4, min: 200, max: 3000 });
    expect(doc.streams[0]).toMatchObject({ first_seq: "9007199254740992", last_seq: "9007199254740993" });
  });

  it("joins the sender's TX copies: sent, lost, IPDV, and OWD with --synced-clocks", async () => {
    const r = await run(["-r", rx, "--tx", tx, "--json", "--synced-clocks"]);
    expect(r.code).toBe(EXIT_OK);
    const s = JSON.parse(r.out).streams[1];
    expect(s).toMatchObject({ sent: 6, lost: 1 });
    // delays of seqs 0, 2, 3, 4, 5 (1 lost): 100, 1300, 100, 100, 100; ipdv in seq order: 1200, -1200, 0, 0
    expect(s.owd_ns).toMatchObject({ count: 5, min: 100, mean: 340, max: 1300 });
    expect(s.ipdv_ns).toMatchObject({ count: 4, min: -1200, mean: 0, max: 1200 });
    const plain = JSON.parse((await run(["-r", rx, "--tx", tx, "--json"])).out).streams[1];
    expect(plain.owd_ns).toBeNull();
    expect(plain.ipdv_ns).toEqual(s.ipdv_ns);
  });

  it("prints a text table with the caveat on missing", async () => {
    const r = await run(["-r", rx]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toContain("10.0.0.20 cpu 1");
    expect(r.out).toMatch(/received 6 {2}unique 5 {2}duplicates 1 {2}seq 0\.\.5 {2}missing 1/);
    expect(r.out).toContain("a missing seq is a loss or a packet sent elsewhere");
    const joined = await run(["-r", rx, "--tx", tx]);
    expect(joined.out).toContain("sent 6  lost 1");
    expect(joined.out).not.toContain("sent elsewhere");
  });

  it("writes --records and --plot", async () => {
    const csv = join(dir, "r.csv");
    const svg = join(dir, "p.svg");
    const r = await run(["-r", rx, "--tx", tx, "--records", csv, "--plot", svg, "--synced-clocks"]);
    expect(r.code).toBe(EXIT_OK);
    const rows = readFileSync(csv, "utf8").trim().split("\n");
    expect(rows[0]).toBe("src,cpu,seq,tx_ns,rx_ns,ipdv_ns");
    expect(rows).toContain(`10.0.0.20,1,0,${S}000000000,${S}000000100,`);
    expect(rows).toContain(`10.0.0.20,1,2,${S}000002000,${S}000003300,1200`);
    expect(rows).toHaveLength(1 + 5 + 2);
    const plot = readFileSync(svg, "utf8");
    expect(plot).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(plot).toContain("10.0.0.20 cpu 1: intervals (4)");
    expect(plot).toContain("IPDV over time");
  });

  it("reads pcapng as pval dump -w writes it", async () => {
    const ng = join(dir, "rx.pcapng");
    const parts = [pcapngFileHeader()];
    for (const [i, seq] of [0n, 1n, 2n].entries()) {
      parts.push(pcapngRecord({ tsSec: S, tsNsec: i * 10, data: pval("10.0.0.20", 1, seq) }));
    }
    writeFileSync(ng, Buffer.concat(parts));
    const r = await run(["-r", ng, "--json"]);
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.out).streams[0]).toMatchObject({ received: 3, missing: 0 });
  });

  it("names the clock of pval dump -w's interface blocks, mixed when they differ", async () => {
    /** A pcapng file with one interface per device and its clock, seqs 0..4 every 10 µs on interface 0. */
    const dumped = (name: string, clocks: [string, string | undefined][]): string => {
      const writer = new SlotPcapngWriter(
        clocks.map(([d]) => d),
        new Map(clocks.flatMap(([d, c]) => (c === undefined ? [] : [[d, { name: c, description: c }]]))),
      );
      const path = join(dir, name);
      writeFileSync(
        path,
        Buffer.concat([
          writer.header(),
          ...[0n, 1n, 2n, 3n, 4n].map((seq) =>
            pcapngRecord({ tsSec: S, tsNsec: Number(seq) * 10_000, data: pval("10.0.0.20", 1, seq) }),
          ),
        ]),
      );
      return path;
    };
    const rxNg = dumped("clock-rx.pcapng", [
      ["/dev/pval/pval0-rx-cpu-0", "software-rx-stack"],
      ["/dev/pval/pval0-rx-cpu-1", "software-rx-stack"],
    ]);
    const txNg = dumped("clock-tx.pcapng", [["/dev/pval/pval0-tx-cpu-1", "software-tx-xmit"]]);
    const mixed = dumped("clock-mixed.pcapng", [
      ["/dev/pval/pval0-rx-cpu-0", "hardware-phc"],
      ["/dev/pval/pval0-rx-cpu-1", "software-rx-stack"],
    ]);
    const bare = dumped("clock-none.pcapng", [["/dev/pval/pval0-rx-cpu-0", undefined]]);

    const both = await run(["-r", rxNg, "--tx", txNg, "--json"]);
    expect(both.code).toBe(EXIT_OK);
    expect(JSON.parse(both.out).clock).toEqual({ rx: "software-rx-stack", tx: "software-tx-xmit" });
    expect((await run(["-r", rxNg, "--tx", tx, "--json"])).out).toContain(
      '"clock":{"rx":"software-rx-stack","tx":"unknown"}',
    );
    expect(JSON.parse((await run(["-r", mixed, "--json"])).out).clock).toEqual({ rx: "mixed", tx: null });
    expect(JSON.parse((await run(["-r", bare, "--json"])).out).clock).toEqual({ rx: "unknown", tx: null });
    const text = await run(["-r", rxNg, "--tx", txNg]);
    expect(text.out.trimEnd().split("\n").at(-1)).toBe("clock: rx software-rx-stack, tx software-tx-xmit");
    // --interval reports name the clock too.
    const lines = (await run(["-r", rxNg, "--json", "--interval", "0.00001"])).out.trim().split("\n");
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(JSON.parse(l).clock).toEqual({ rx: "software-rx-stack", tx: null });
  });

  it("reports what a truncated file held, then one line of error, exit 1", async () => {
    const cut = join(dir, "cut.pcap");
    const whole = readFileSync(rx);
    writeFileSync(cut, whole.subarray(0, whole.length - 20));
    const r = await run(["-r", cut, "--json"]);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(JSON.parse(r.out).streams.length).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/^stats: .*cut\.pcap: .*truncated.*after 9 records/);
  });

  it("rejects a file that is not a capture, and a missing file, in one line", async () => {
    const junk = join(dir, "junk");
    writeFileSync(junk, "not a capture at all");
    const j = await run(["-r", junk]);
    expect(j.code).toBe(EXIT_FAILURE);
    expect(j.err.trim().split("\n")).toHaveLength(1);
    const m = await run(["-r", join(dir, "nope.pcap")]);
    expect(m.code).toBe(EXIT_FAILURE);
    expect(m.err).toMatch(/^stats: ENOENT/);
  });

  it("prints a report per --interval of capture time", async () => {
    const r = await run(["-r", rx, "--json", "--interval", "0.000002"]);
    const lines = r.out.trim().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(JSON.parse(l)).toHaveProperty("streams");
  });

  it("warns when every timestamp is the same (devices without timestamps)", async () => {
    const flat = join(dir, "flat.pcap");
    writeFileSync(flat, pcap([0n, 1n, 2n].map((q) => [0, pval("10.0.0.20", 1, q)] as [number, Uint8Array])));
    const r = await run(["-r", flat, "--json"]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.err).toMatch(/^stats: every timestamp is the same .*swtstamp/);
    expect(JSON.parse(r.out).streams[0].interval_ns).toMatchObject({ count: 2, max: 0 });
    expect((await run(["-r", rx, "--json"])).err).toBe("");
  });

  it("has usage errors (exit 2)", async () => {
    expect((await run([])).code).toBe(EXIT_USAGE);
    expect((await run(["-r", rx, "pval0"])).code).toBe(EXIT_USAGE);
    expect((await run(["-r", rx, "--interval", "0"])).code).toBe(EXIT_USAGE);
    expect((await run(["-r", rx, "--tx", tx, "--tx", tx])).code).toBe(EXIT_USAGE);
    expect((await run(["-r", rx, "--duration", "3"])).code).toBe(EXIT_USAGE);
  });
});
