import { ipv4FromString } from "@pval/decode";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MatchRow, StatsAnalyser, type StatsOptions } from "./analyser.js";
import type { StreamReport } from "./report.js";

const A = ipv4FromString("10.0.0.3");
const B = ipv4FromString("10.0.0.20");
const DST = ipv4FromString("10.0.0.2");

const bigMin = (xs: bigint[]): bigint => xs.reduce((a, b) => [a, b].sort((x, y) => (x < y ? -1 : 1))[0]!);
const bigMax = (xs: bigint[]): bigint => xs.reduce((a, b) => [a, b].sort((x, y) => (x < y ? 1 : -1))[0]!);
const T0 = 1_700_000_000_000_000_000n;

/** A received packet: timestamp offset (ns), seq; source A, cpu 0, unless given. */
type Pkt = [t: number, seq: bigint | number, cpu?: number, src?: number];

function rxOnly(pkts: Pkt[], options: StatsOptions = {}): StreamReport[] {
  const an = new StatsAnalyser(options);
  for (const [t, seq, cpu = 0, src = A] of pkts) an.addRx(T0 + BigInt(t), src, DST, cpu, BigInt(seq));
  an.finish();
  return an.report().streams;
}

/**
 * SPEC section 6 computed the naive way, from the whole arrival list:
 * arrival order = ascending timestamp, ties in input order.
 */
function reference(pkts: Pkt[]) {
  const order = pkts.map((p, i) => ({ t: p[0], seq: BigInt(p[1]), i })).sort((a, b) => a.t - b.t || a.i - b.i);
  const seen = new Set<bigint>();
  const firsts: { t: number; seq: bigint }[] = [];
  for (const p of order) {
    if (seen.has(p.seq)) continue;
    seen.add(p.seq);
    firsts.push(p);
  }
  let reordered = 0;
  let extentMax = 0;
  let max = -1n;
  firsts.forEach((p, i) => {
    if (i > 0 && p.seq < max) {
      reordered++;
      const j = firsts.findIndex((q) => q.seq > p.seq);
      extentMax = Math.max(extentMax, i - j);
    }
    if (p.seq > max) max = p.seq;
  });
  const seqs = firsts.map((p) => p.seq);
  const first = bigMin(seqs);
  const last = bigMax(seqs);
  const intervals = firsts.slice(1).map((p, i) => p.t - firsts[i]!.t);
  return {
    received: pkts.length,
    unique: firsts.length,
    duplicates: pkts.length - firsts.length,
    first_seq: first.toString(),
    last_seq: last.toString(),
    missing: Number(last - first + 1n) - firsts.length,
    reordered,
    reorder_extent_max: extentMax,
    intervals,
  };
}

function expectMatchesReference(pkts: Pkt[], got: StreamReport): void {
  const ref = reference(pkts);
  expect(got).toMatchObject({
    received: ref.received,
    unique: ref.unique,
    duplicates: ref.duplicates,
    first_seq: ref.first_seq,
    last_seq: ref.last_seq,
    missing: ref.missing,
    reordered: ref.reordered,
    reorder_extent_max: ref.reorder_extent_max,
  });
  if (ref.intervals.length === 0) expect(got.interval_ns).toBeNull();
  else {
    const iv = got.interval_ns!;
    expect(iv.count).toBe(ref.intervals.length);
    expect(iv.min).toBe(Math.min(...ref.intervals));
    expect(iv.max).toBe(Math.max(...ref.intervals));
    expect(iv.mean).toBe(Math.round(ref.intervals.reduce((a, b) => a + b, 0) / ref.intervals.length));
  }
}

describe("StatsAnalyser, receiver only", () => {
  it("counts an in-order stream", () => {
    const [s] = rxOnly([
      [0, 10],
      [1000, 11],
      [2000, 12],
      [3500, 13],
    ]);
    const near = (v: number, exact: number) => Math.abs(v - exact) <= exact * 0.01;
    expect(near(s!.interval_ns!.p50, 1000) && near(s!.interval_ns!.p90, 1500)).toBe(true);
    expect(s).toEqual({
      src: "10.0.0.3",
      cpu: 0,
      received: 4,
      unique: 4,
      duplicates: 0,
      first_seq: "10",
      last_seq: "13",
      missing: 0,
      sent: null,
      lost: null,
      reordered: 0,
      reorder_extent_max: 0,
      interval_ns: {
        count: 3,
        min: 1000,
        mean: 1167,
        p50: s!.interval_ns!.p50,
        p90: s!.interval_ns!.p90,
        p99: s!.interval_ns!.p90,
        max: 1500,
      },
      ipdv_ns: null,
      owd_ns: null,
    });
  });

  it("counts a gap as missing", () => {
    const [s] = rxOnly([
      [0, 0],
      [1, 1],
      [2, 4],
      [3, 5],
    ]);
    expect(s).toMatchObject({ unique: 4, missing: 2, reordered: 0 });
  });

  it("counts later copies of a seq as duplicates, and leaves them out of the intervals", () => {
    const pkts: Pkt[] = [
      [0, 0],
      [100, 1],
      [150, 1],
      [200, 2],
      [260, 1],
    ];
    const [s] = rxOnly(pkts);
    expect(s).toMatchObject({ received: 5, unique: 3, duplicates: 2, missing: 0, reordered: 0 });
    expect(s!.interval_ns).toMatchObject({ count: 2, min: 100, max: 100 });
    expectMatchesReference(pkts, s!);
  });

  it("measures the reordering extent of RFC 4737 §4.2", () => {
    // arrival: 1 2 3 5 6 7 4 8 → 4 arrives at position 6; the first seq above 4 (5) at position 3: extent 3.
    const seqs = [1, 2, 3, 5, 6, 7, 4, 8];
    const [s] = rxOnly(seqs.map((q, i) => [i * 10, q]));
    expect(s).toMatchObject({ reordered: 1, reorder_extent_max: 3, missing: 0 });
  });

  it("counts every late packet of a swapped block as reordered", () => {
    // 3 arrives before 1 and 2: both 1 and 2 are reordered, extents 1 and 2.
    const [s] = rxOnly([
      [0, 0],
      [1, 3],
      [2, 1],
      [3, 2],
      [4, 4],
    ]);
    expect(s).toMatchObject({ reordered: 2, reorder_extent_max: 2 });
  });

  it("works with seqs above 2^53 and at the top of u64", () => {
    const big = 2n ** 53n + 1n;
    const top = 2n ** 64n - 1n;
    const [s] = rxOnly([
      [0, big],
      [1, big + 2n],
      [2, big + 1n],
      [3, big + 2n],
    ]);
    expect(s).toMatchObject({
      first_seq: big.toString(),
      last_seq: (big + 2n).toString(),
      unique: 3,
      duplicates: 1,
      reordered: 1,
      reorder_extent_max: 1,
      missing: 0,
    });
    const [u] = rxOnly([
      [0, top - 3n],
      [1, top],
    ]);
    expect(u).toMatchObject({ first_seq: (top - 3n).toString(), last_seq: top.toString(), missing: 2 });
  });

  it("starts a stream mid-sequence", () => {
    const [s] = rxOnly([
      [0, 1_000_000],
      [1, 1_000_001],
      [2, 999_999],
    ]);
    expect(s).toMatchObject({ first_seq: "999999", last_seq: "1000001", missing: 0, reordered: 1 });
  });

  it("keeps CPUs apart, up to 255, and sorts sources numerically", () => {
    const streams = rxOnly([
      [0, 5, 255, B],
      [1, 5, 0, B],
      [2, 7, 255, A],
      [3, 6, 3, A],
      [4, 8, 255, A],
    ]);
    expect(streams.map((s) => [s.src, s.cpu, s.received])).toEqual([
      ["10.0.0.3", 3, 1],
      ["10.0.0.3", 255, 2],
      ["10.0.0.20", 0, 1],
      ["10.0.0.20", 255, 1],
    ]);
    expect(streams[1]).toMatchObject({ first_seq: "7", last_seq: "8", missing: 0 });
  });

  it("keeps input order for equal timestamps", () => {
    const [s] = rxOnly([
      [5, 2],
      [5, 1],
      [5, 3],
    ]);
    expect(s).toMatchObject({ reordered: 1, reorder_extent_max: 1 });
    expect(s!.interval_ns).toMatchObject({ count: 2, min: 0, max: 0 });
  });

  it("puts records that are not in timestamp order into arrival order", () => {
    // As a file holding two devices' batches one after the other.
    const pkts: Pkt[] = [
      [10, 1],
      [30, 3],
      [50, 5],
      [20, 2],
      [40, 4],
      [60, 6],
    ];
    const [s] = rxOnly(pkts);
    expect(s).toMatchObject({ reordered: 0, missing: 0 });
    expect(s!.interval_ns).toMatchObject({ count: 5, min: 10, max: 10 });
    expectMatchesReference(pkts, s!);
  });

  it("counts records later than the horizon instead of misplacing them silently", () => {
    const an = new StatsAnalyser({ horizonNs: 100 });
    an.addRx(T0 + 1000n, A, DST, 0, 2n);
    an.addRx(T0 + 2000n, A, DST, 0, 3n);
    an.addRx(T0 + 500n, A, DST, 0, 1n); // 1500 ns late, horizon 100
    an.finish();
    const r = an.report();
    expect(r.rx_reorder_late).toBe(1);
    expect(r.streams[0]).toMatchObject({ received: 3, reordered: 1 });
  });

  it("counts packets older than the reordering window", () => {
    const an = new StatsAnalyser({ reorderWindow: 32 });
    for (let i = 0; i < 100; i++) an.addRx(T0 + BigInt(i), A, DST, 0, BigInt(i + 10));
    an.addRx(T0 + 100n, A, DST, 0, 5n); // far below the window
    an.addRx(T0 + 101n, A, DST, 0, 90n); // a duplicate inside it
    an.finish();
    expect(an.report().streams[0]).toMatchObject({
      received: 102,
      unique: 101,
      duplicates: 1,
      beyond_window: 1,
      reordered: 1,
      first_seq: "5",
    });
  });

  it("counts frames without option 222 and frames that are not IPv4", async () => {
    const { encodeFrame, pcapRecord } = await import("@pval/decode");
    void pcapRecord;
    const an = new StatsAnalyser();
    const mac = new Uint8Array(6);
    const frames = [
      encodeFrame({ ethernet: { src: mac, dst: mac }, ipv4: { src: A, dst: DST }, udp: { srcPort: 1, dstPort: 2 } }),
      encodeFrame({
        ethernet: { src: mac, dst: mac },
        arp: { op: 1, sha: mac, spa: new Uint8Array(4), tha: mac, tpa: new Uint8Array(4) },
      }),
      encodeFrame({
        ethernet: { src: mac, dst: mac },
        ipv4: { src: A, dst: DST, options: [{ kind: "pval", cpu: 1, seq: 7n }] },
        udp: { srcPort: 1, dstPort: 2 },
      }),
      new Uint8Array(10),
    ];
    for (const data of frames) {
      an.addRxRecord({
        linktype: 1,
        tsSec: 1,
        tsNsec: 0,
        origlen: data.length,
        data,
        offset: 0,
        buffer: data,
        dataOffset: 0,
        caplen: data.length,
      });
    }
    an.finish();
    const r = an.report();
    expect(r.no_option).toBe(1);
    expect(r.not_ipv4).toBe(2);
    expect(r.streams).toHaveLength(1);
    expect(r.streams[0]).toMatchObject({ cpu: 1, first_seq: "7" });
  });

  it("evicts the least recently seen stream beyond maxStreams, and counts it", () => {
    const an = new StatsAnalyser({ maxStreams: 2 });
    an.addRx(T0, A, DST, 0, 1n);
    an.addRx(T0 + 1n, A, DST, 1, 1n);
    an.addRx(T0 + 2n, A, DST, 2, 1n);
    an.finish();
    expect(an.snapshot().streams_dropped).toBe(1);
    expect(an.report().streams).toHaveLength(2);
  });
});

/** A generated stream and what the generator knows about it. */
const generated = fc
  .record({
    base: fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 5000n })),
    n: fc.integer({ min: 1, max: 300 }),
    dropMask: fc.array(fc.boolean(), { minLength: 300, maxLength: 300 }),
    dupCount: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 300, maxLength: 300 }),
    shuffle: fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 900, maxLength: 900 }),
    spacing: fc.integer({ min: 1, max: 1e6 }),
  })
  .map(({ base, n, dropMask, dupCount, shuffle, spacing }) => {
    const kept: bigint[] = [];
    for (let i = 0; i < n; i++) if (!dropMask[i] || i === 0) kept.push(base + BigInt(i));
    const copies: bigint[] = [];
    for (const [k, s] of kept.entries()) for (let c = 0; c <= dupCount[k]!; c++) copies.push(s);
    // Permute by sorting on random keys; timestamps are the new positions.
    const order = copies.map((s, i) => ({ s, key: shuffle[i % shuffle.length]! * 1000 + i }));
    order.sort((a, b) => a.key - b.key);
    const pkts: Pkt[] = order.map((o, i) => [i * spacing, o.s]);
    return { pkts, kept, copies: copies.length };
  });

describe("StatsAnalyser, properties", () => {
  it("permuted, dropped and duplicated packets give the generator's counts", () => {
    fc.assert(
      fc.property(generated, ({ pkts, kept, copies }) => {
        const [s] = rxOnly(pkts);
        const first = bigMin(kept);
        const last = bigMax(kept);
        expect(s).toMatchObject({
          received: copies,
          unique: kept.length,
          duplicates: copies - kept.length,
          first_seq: first.toString(),
          last_seq: last.toString(),
          missing: Number(last - first + 1n) - kept.length,
        });
        expectMatchesReference(pkts, s!);
      }),
      { numRuns: 300 },
    );
  });

  it("the same packets fed out of timestamp order within the horizon give the same figures", () => {
    fc.assert(
      fc.property(generated, fc.array(fc.nat(), { minLength: 1, maxLength: 50 }), ({ pkts }, swaps) => {
        const shuffled = [...pkts];
        for (const [k, w] of swaps.entries()) {
          const i = (w + k) % shuffled.length;
          const j = (i + 1) % shuffled.length;
          // swap neighbours with distinct timestamps, so the tie rule does not apply
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const [a] = rxOnly(pkts);
        const [b] = rxOnly(shuffled, { horizonNs: 1e15 });
        expect(b).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });
});

/** Sender and receiver: TX copies at t, arrivals at rx (null: lost). */
function joined(
  tx: [t: number, seq: number, dst?: number][],
  rx: [t: number, seq: number][],
  options: StatsOptions = {},
): { streams: StreamReport[]; rows: MatchRow[] } {
  const rows: MatchRow[] = [];
  const an = new StatsAnalyser({ withTx: true, onMatch: (r) => rows.push(r), ...options });
  for (const [t, seq, dst = DST] of tx) an.addTx(T0 + BigInt(t), A, dst, 0, BigInt(seq));
  for (const [t, seq] of rx) an.addRx(T0 + BigInt(t), A, DST, 0, BigInt(seq));
  an.finish();
  return { streams: an.report().streams, rows };
}

describe("StatsAnalyser, sender and receiver", () => {
  it("counts sent and lost exactly, only for destinations the receiver saw", () => {
    const OTHER = ipv4FromString("10.0.0.9");
    const { streams } = joined(
      [
        [0, 0],
        [10, 1, OTHER],
        [20, 2],
        [30, 3],
        [40, 4],
      ],
      [
        [100, 0],
        [130, 3],
        [141, 4],
      ],
    );
    expect(streams[0]).toMatchObject({ received: 3, missing: 2, sent: 4, lost: 1 });
  });

  it("computes IPDV (RFC 3393) in sending order and OWD only with synced clocks", () => {
    const tx: [number, number][] = [
      [0, 0],
      [1000, 1],
      [2000, 2],
      [3000, 3],
    ];
    // delays 500, 700, 400, 500
    const rx: [number, number][] = [
      [500, 0],
      [2400, 2],
      [1700, 1],
      [3500, 3],
    ].sort((a, b) => a[0]! - b[0]!) as [number, number][];
    const plain = joined(tx, rx);
    // ipdv: 700-500=200, 400-700=-300, 500-400=100
    expect(plain.streams[0]!.ipdv_ns).toMatchObject({ count: 3, min: -300, max: 200, p50: 100 });
    expect(plain.streams[0]!.owd_ns).toBeNull();
    expect(plain.streams[0]).toMatchObject({ sent: 4, lost: 0, reordered: 0 });
    expect(plain.rows.map((r) => [r.seq, r.rxNs - r.txNs, r.ipdvNs])).toEqual([
      [0n, 500n, null],
      [1n, 700n, 200],
      [2n, 400n, -300],
      [3n, 500n, 100],
    ]);
    const synced = joined(tx, rx, { syncedClocks: true });
    expect(synced.streams[0]!.owd_ns).toMatchObject({ count: 4, min: 400, max: 700, mean: 525 });
  });

  it("counts a TX copy whose packet comes after the window as lost, and the packet as late", () => {
    const an = new StatsAnalyser({ withTx: true, joinWindowNs: 1000, horizonNs: 0 });
    an.addTx(T0, A, DST, 0, 0n);
    an.addRx(T0 + 100n, A, DST, 0, 0n);
    an.addTx(T0 + 10n, A, DST, 0, 1n);
    for (let i = 2; i < 6000; i++) {
      an.addTx(T0 + BigInt(i * 10), A, DST, 0, BigInt(i));
      an.addRx(T0 + BigInt(i * 10 + 100), A, DST, 0, BigInt(i));
    }
    an.addRx(T0 + 60_100n, A, DST, 0, 1n); // seq 1, some 60 µs after it was sent
    an.finish();
    expect(an.report().streams[0]).toMatchObject({ sent: 6000, lost: 1, join_late: 1, received: 6000 });
  });

  it("reports a stream whose every packet was lost", () => {
    const OTHER_CPU = 3;
    const an = new StatsAnalyser({ withTx: true });
    an.addTx(T0, A, DST, 0, 0n);
    an.addTx(T0 + 1n, A, DST, OTHER_CPU, 0n);
    an.addRx(T0 + 10n, A, DST, 0, 0n);
    an.finish();
    const [s0, s3] = an.report().streams;
    expect(s0).toMatchObject({ cpu: 0, sent: 1, lost: 0 });
    expect(s3).toMatchObject({ cpu: 3, received: 0, sent: 1, lost: 1, first_seq: null, interval_ns: null });
  });

  it("matches captures whose clocks differ (no synchronisation)", () => {
    const an = new StatsAnalyser({ withTx: true });
    const skew = 3_600_000_000_000n; // the receiver's clock an hour ahead
    for (let i = 0; i < 100; i++) {
      an.addTx(T0 + BigInt(i * 1000), A, DST, 0, BigInt(i));
      if (i % 10 !== 7) an.addRx(T0 + skew + BigInt(i * 1000 + 300), A, DST, 0, BigInt(i));
    }
    an.finish();
    const [s] = an.report().streams;
    expect(s).toMatchObject({ sent: 100, lost: 10, received: 90 });
    expect(s!.ipdv_ns).toMatchObject({ min: 0, max: 0 });
  });

  it("property: sent, lost and received agree with the generator", () => {
    fc.assert(
      fc.property(generated, fc.integer({ min: 0, max: 1e5 }), ({ pkts, kept }, delay) => {
        const an = new StatsAnalyser({ withTx: true });
        const seqs = pkts.map((p) => BigInt(p[1]));
        const first = bigMin(seqs);
        const last = bigMax(kept);
        const n = Number(last - first) + 3; // two more sent after the last received: lost
        for (let i = 0; i < n; i++) an.addTx(T0 + BigInt(i), A, DST, 0, first + BigInt(i));
        for (const [t, seq] of pkts) an.addRx(T0 + BigInt(t + delay), A, DST, 0, BigInt(seq));
        an.finish();
        expect(an.report().streams[0]).toMatchObject({ sent: n, lost: n - kept.length, unique: kept.length });
      }),
      { numRuns: 200 },
    );
  });
});
