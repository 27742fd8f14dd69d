// StatsAnalyser: the streaming measurement of SPEC section 6. Fed received
// packets (and optionally the sender's TX copies) as slot batches or capture
// records, in any order within a time horizon; keeps bounded state; reports
// at any time.
//
// Flow of a packet: decode the pval fields (@pval/decode's fast path) → time
// relative to the side's base → reorder buffer (arrival order = ascending
// timestamp, ties in input order) → the stream's figures (RX) and the join
// (TX copies and first arrivals) → settled in seq order once the join window
// has passed.
//
// Bounds, each with a counter of what fell outside it:
// - reorder buffer: `horizonNs` and `maxPending` (ReorderBuffer.late);
// - per stream: the seq window for duplicates and reordering (beyond_window),
//   the join table (join_late, join_forced);
// - streams: `maxStreams`, least recently seen evicted (streams_dropped).

import {
  type CaptureRecord,
  FieldStatus,
  ipv4ToString,
  PvalFieldColumns,
  PvalFields,
  readPvalFieldColumns,
  readPvalFieldsFromFrame,
  type SlotBatch,
} from "@pval/decode";
import { ReorderBuffer } from "./reorder-buffer.js";
import { type StatsReport, type StatsSnapshot, type StreamStats, toReport } from "./report.js";
import { type JoinContext, JoinTable, type MatchEvent, StreamState } from "./stream.js";

const TWO32 = 4294967296;
const NS_PER_S = 1_000_000_000;

export interface StatsOptions {
  /** Seqs per stream kept for duplicate and reordering detection (power of two, default 65536). */
  reorderWindow?: number;
  /** Time a packet may arrive behind a later-stamped one and still be put in order, ns (default 1 s). */
  horizonNs?: number;
  /** Packets the reorder buffer holds at most per side (default 1,048,576). */
  maxPending?: number;
  /** Time a TX copy waits for its packet before it counts as lost, ns (default 10 s). */
  joinWindowNs?: number;
  /** Seqs a stream's join table holds at most (power of two, default 1,048,576). */
  maxJoin?: number;
  /** Streams kept at most; the least recently seen is evicted beyond (default 1024). */
  maxStreams?: number;
  /** Sender and receiver clocks are synchronised: report one-way delay. */
  syncedClocks?: boolean;
  /** TX copies will be given (a second input): sent, lost and IPDV are reported even before the first. */
  withTx?: boolean;
  /** Called for every matched packet, in seq order per stream, as the join settles it. */
  onMatch?: (row: MatchRow) => void;
  /** Called for every TX copy settled as lost, in seq order per stream. */
  onLost?: (row: LostRow) => void;
}

/** One lost packet: when it was sent, and when it would have arrived on the receiver's clock. */
export interface LostRow {
  src: string;
  cpu: number;
  seq: bigint;
  txNs: bigint;
  /** txNs plus the smallest rx − tx seen so far (txNs while nothing matched). */
  rxEstimateNs: bigint;
}

/** One matched packet: absolute ns timestamps. */
export interface MatchRow {
  src: string;
  cpu: number;
  seq: bigint;
  txNs: bigint;
  rxNs: bigint;
  /** null for the first matched packet of its stream. */
  ipdvNs: number | null;
}

/** A time base: the first timestamp of a side, and conversions to and from relative ns. */
class TimeBase {
  set = false;
  base = 0n;
  #sec = 0;
  #nsec = 0;
  #hi = 0;
  #lo = 0;

  init(base: bigint): void {
    this.set = true;
    this.base = base;
    this.#sec = Number(base / 1_000_000_000n);
    this.#nsec = Number(base % 1_000_000_000n);
    this.#hi = Number(base >> 32n);
    this.#lo = Number(base & 0xffffffffn);
  }

  fromSecNsec(sec: number, nsec: number): number {
    if (!this.set) this.init(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
    return (sec - this.#sec) * NS_PER_S + (nsec - this.#nsec);
  }

  fromHiLo(hi: number, lo: number): number {
    if (!this.set) this.init((BigInt(hi) << 32n) | BigInt(lo));
    return (hi - this.#hi) * TWO32 + (lo - this.#lo);
  }

  abs(rel: number): bigint {
    return this.base + BigInt(rel);
  }
}

/** Counters of one input side. */
export interface SideCounters {
  /** Frames that are not IPv4. */
  notIpv4: number;
  /** IPv4 packets without a well-formed option 222. */
  noOption: number;
}

export class StatsAnalyser {
  readonly reorderWindow: number;
  readonly horizonNs: number;
  readonly joinWindowNs: number;
  readonly maxJoin: number;
  readonly maxStreams: number;
  readonly syncedClocks: boolean;

  readonly rx: SideCounters = { notIpv4: 0, noOption: 0 };
  readonly tx: SideCounters = { notIpv4: 0, noOption: 0 };
  /** Streams evicted by maxStreams. */
  streamsDropped = 0;
  /** Packets (either side) with a seq too far from the stream's first to analyse. */
  get seqOutOfRange(): number {
    let n = this.#droppedSeqOutOfRange;
    for (const s of this.#streams.values()) n += s.seqOutOfRange;
    return n;
  }

  #droppedSeqOutOfRange = 0;
  readonly #streams = new Map<number, StreamState>();
  readonly #rxBase = new TimeBase();
  readonly #txBase = new TimeBase();
  readonly #rxOrder: ReorderBuffer;
  readonly #txOrder: ReorderBuffer;
  readonly #rxDsts = new Set<number>();
  #hasTx = false;
  #matchedOffset = Number.POSITIVE_INFINITY;
  #sinceSettle = 0;
  #nowMs = Date.now();
  readonly #ctx: JoinContext;
  readonly #fields = new PvalFields();
  readonly #cols = new PvalFieldColumns();
  readonly #cache: (StreamState | undefined)[] = new Array(256).fill(undefined);

  constructor(options: StatsOptions = {}) {
    this.reorderWindow = options.reorderWindow ?? 65536;
    if (!isPow2(this.reorderWindow) || this.reorderWindow < 32) {
      throw new RangeError(`reorderWindow must be a power of two >= 32, not ${this.reorderWindow}`);
    }
    this.horizonNs = options.horizonNs ?? NS_PER_S;
    this.joinWindowNs = options.joinWindowNs ?? 10 * NS_PER_S;
    if (!(this.joinWindowNs > 0)) throw new RangeError(`joinWindowNs must be > 0, not ${this.joinWindowNs}`);
    this.maxJoin = options.maxJoin ?? 1 << 20;
    if (!isPow2(this.maxJoin) || this.maxJoin < 1024) {
      throw new RangeError(`maxJoin must be a power of two >= 1024, not ${this.maxJoin}`);
    }
    this.maxStreams = options.maxStreams ?? 1024;
    if (!(this.maxStreams >= 1)) throw new RangeError(`maxStreams must be >= 1, not ${this.maxStreams}`);
    this.syncedClocks = options.syncedClocks ?? false;
    this.#hasTx = options.withTx ?? false;
    const maxPending = options.maxPending ?? 1 << 20;
    this.#rxOrder = new ReorderBuffer(this.horizonNs, maxPending, (t, src, dst, cpu, hi, lo) =>
      this.#arrive(t, src, dst, cpu, hi, lo),
    );
    this.#txOrder = new ReorderBuffer(this.horizonNs, maxPending, (t, src, dst, cpu, hi, lo) =>
      this.#sent(t, src, dst, cpu, hi, lo),
    );
    const onMatch = options.onMatch;
    this.#ctx = {
      rxDsts: this.#rxDsts,
      baseDiff: 0,
      synced: this.syncedClocks,
      onMatch: onMatch
        ? (m: MatchEvent) =>
            onMatch({
              src: ipv4ToString(m.stream.src),
              cpu: m.stream.cpu,
              seq: m.stream.seqOf(m.rel),
              txNs: this.#txBase.abs(m.txRel),
              rxNs: this.#rxBase.abs(m.rxRel),
              ipdvNs: m.ipdv,
            })
        : undefined,
      onLost: options.onLost
        ? (stream, rel, txRel) => {
            const onLost = options.onLost!;
            const txNs = this.#txBase.abs(txRel);
            const offset = this.#matchedOffset;
            onLost({
              src: ipv4ToString(stream.src),
              cpu: stream.cpu,
              seq: stream.seqOf(rel),
              txNs,
              rxEstimateNs: Number.isFinite(offset) ? this.#rxBase.abs(txRel + offset) : txNs,
            });
          }
        : undefined,
      matched: (delta) => {
        if (delta < this.#matchedOffset) this.#matchedOffset = delta;
      },
    };
  }

  /** True once TX copies were given: sent, lost and IPDV are reported. */
  get hasTx(): boolean {
    return this.#hasTx;
  }

  /** Received packets that wait in the reorder buffer, and packets that came later than its horizon. */
  get rxOrder(): { pending: number; late: number } {
    return { pending: this.#rxOrder.pending, late: this.#rxOrder.late };
  }

  get txOrder(): { pending: number; late: number } {
    return { pending: this.#txOrder.pending, late: this.#txOrder.late };
  }

  /** The first timestamps (ns) of each side; null before any packet. */
  get bases(): { rx: bigint | null; tx: bigint | null } {
    return {
      rx: this.#rxBase.set ? this.#rxBase.base : null,
      tx: this.#txBase.set ? this.#txBase.base : null,
    };
  }

  /** Wall-clock time (ms) stamped on streams as they are seen; set per batch. */
  #tick(): void {
    this.#nowMs = Date.now();
  }

  /** Received packets: a batch of slots. */
  addRxSlots(slots: SlotBatch): void {
    this.#addSlots(slots, false);
  }

  /** The sender's TX copies: a batch of slots. */
  addTxSlots(slots: SlotBatch): void {
    this.#addSlots(slots, true);
  }

  /** A received packet from a capture file (the record may be reused afterwards). */
  addRxRecord(record: CaptureRecord): void {
    this.#addRecord(record, false);
  }

  /** A TX copy from a capture file. */
  addTxRecord(record: CaptureRecord): void {
    this.#addRecord(record, true);
  }

  /** One received packet by its fields (tests, other sources): time in absolute ns. */
  addRx(tNs: bigint, src: number, dst: number, cpu: number, seq: bigint): void {
    const t = this.#rxBase.fromHiLo(Number(tNs >> 32n), Number(tNs & 0xffffffffn));
    this.#rxOrder.push(t, src >>> 0, dst >>> 0, cpu, Number(seq >> 32n), Number(seq & 0xffffffffn));
    this.#sinceSettle++;
    this.#maybeSettle();
  }

  /** One TX copy by its fields. */
  addTx(tNs: bigint, src: number, dst: number, cpu: number, seq: bigint): void {
    this.#hasTx = true;
    const t = this.#txBase.fromHiLo(Number(tNs >> 32n), Number(tNs & 0xffffffffn));
    this.#txOrder.push(t, src >>> 0, dst >>> 0, cpu, Number(seq >> 32n), Number(seq & 0xffffffffn));
    this.#sinceSettle++;
    this.#maybeSettle();
  }

  #addSlots(slots: SlotBatch, tx: boolean): void {
    this.#tick();
    if (tx) this.#hasTx = true;
    const side = tx ? this.tx : this.rx;
    const order = tx ? this.#txOrder : this.#rxOrder;
    const base = tx ? this.#txBase : this.#rxBase;
    const c = this.#cols;
    for (let start = 0; start < slots.count; ) {
      const n = readPvalFieldColumns(slots, start, c);
      start += n;
      const status = c.status;
      for (let k = 0; k < n; k++) {
        const s = status[k]!;
        if ((s & FieldStatus.PVAL) === 0) {
          if ((s & FieldStatus.IPV4) === 0) side.notIpv4++;
          else side.noOption++;
          continue;
        }
        const t = base.fromHiLo(c.tstampHi[k]!, c.tstampLo[k]!);
        order.push(t, c.src[k]!, c.dst[k]!, c.cpu[k]!, c.seqHi[k]!, c.seqLo[k]!);
      }
      this.#sinceSettle += n;
      this.#maybeSettle();
    }
  }

  #records = 0;

  #addRecord(record: CaptureRecord, tx: boolean): void {
    if ((this.#records++ & 1023) === 0) this.#tick();
    if (tx) this.#hasTx = true;
    const side = tx ? this.tx : this.rx;
    const f = this.#fields;
    const s = readPvalFieldsFromFrame(record.buffer.subarray(record.dataOffset, record.dataOffset + record.caplen), f);
    if ((s & FieldStatus.PVAL) === 0) {
      if ((s & FieldStatus.IPV4) === 0) side.notIpv4++;
      else side.noOption++;
      return;
    }
    const base = tx ? this.#txBase : this.#rxBase;
    const t = base.fromSecNsec(record.tsSec, record.tsNsec);
    (tx ? this.#txOrder : this.#rxOrder).push(t, f.src, f.dst, f.cpu, f.seqHi, f.seqLo);
    this.#sinceSettle++;
    this.#maybeSettle();
  }

  #stream(src: number, cpu: number): StreamState {
    // A direct-mapped cache in front of the Map: its keys are beyond the small
    // integers, and a Map lookup per packet would cost more than the rest.
    const h = (Math.imul(src ^ (src >>> 13), 0x9e3779b1) ^ cpu) >>> 24;
    let s = this.#cache[h];
    if (s !== undefined && s.src === src && s.cpu === cpu) {
      s.lastSeenMs = this.#nowMs;
      return s;
    }
    const key = src * 256 + cpu;
    s = this.#streams.get(key);
    if (!s) {
      if (this.#streams.size >= this.maxStreams) this.#evict();
      s = new StreamState(src, cpu, this.reorderWindow);
      this.#streams.set(key, s);
    }
    s.lastSeenMs = this.#nowMs;
    this.#cache[h] = s;
    return s;
  }

  #evict(): void {
    let oldest: number | null = null;
    let oldestMs = Number.POSITIVE_INFINITY;
    for (const [key, s] of this.#streams) {
      if (s.lastSeenMs < oldestMs) {
        oldestMs = s.lastSeenMs;
        oldest = key;
      }
    }
    if (oldest === null) return;
    const s = this.#streams.get(oldest)!;
    this.#droppedSeqOutOfRange += s.seqOutOfRange;
    this.#streams.delete(oldest);
    this.streamsDropped++;
    this.#cache.fill(undefined);
  }

  // A received packet in arrival order.
  #arrive(t: number, src: number, dst: number, cpu: number, hi: number, lo: number): void {
    const s = this.#stream(src, cpu);
    if (!this.#rxDsts.has(dst)) this.#rxDsts.add(dst);
    const r = s.rel(hi, lo);
    if (Number.isNaN(r)) return;
    if (s.receive(t, r) && this.#hasTx) {
      s.join ??= new JoinTable(this.maxJoin);
      s.join.put(s, this.#ctx, r, t, dst, false);
    }
  }

  // A TX copy in sending order.
  #sent(t: number, src: number, dst: number, cpu: number, hi: number, lo: number): void {
    const s = this.#stream(src, cpu);
    const r = s.rel(hi, lo);
    if (Number.isNaN(r)) return;
    s.join ??= new JoinTable(this.maxJoin);
    s.join.put(s, this.#ctx, r, t, dst, true);
  }

  #maybeSettle(): void {
    if (this.#sinceSettle < 4096) return;
    this.#sinceSettle = 0;
    this.settle();
  }

  /** The receiver's clock minus the sender's, ns in relative units; NaN before both sides have a packet. */
  #clockOffset(): number {
    if (!this.#rxBase.set || !this.#txBase.set) return Number.NaN;
    const baseDiff = Number(this.#rxBase.base - this.#txBase.base);
    this.#ctx.baseDiff = baseDiff;
    // Synchronised clocks: tx on the receiver's relative scale is txRel − baseDiff.
    if (this.syncedClocks) return -baseDiff;
    // Else the smallest rx − tx of a match (offset plus the smallest delay);
    // before any match, both captures are taken to start together.
    return Number.isFinite(this.#matchedOffset) ? this.#matchedOffset : 0;
  }

  /**
   * The receiver's clock minus the sender's, ns, as the join uses it: 0 with
   * synchronised clocks, else the smallest rx − tx of a match so far, or the
   * difference of the first timestamps before any match. NaN before both
   * sides have a packet.
   */
  get txToRxNs(): number {
    const offset = this.#clockOffset();
    return Number.isNaN(offset) ? offset : offset + this.#ctx.baseDiff;
  }

  /** Settles the join up to the time both inputs have reached (called every 4096 packets and by report()). */
  settle(): void {
    if (!this.#hasTx) return;
    const offset = this.#clockOffset();
    if (Number.isNaN(offset)) return;
    const now = Math.min(this.#rxOrder.lastOut, this.#txOrder.lastOut + offset);
    if (!Number.isFinite(now)) return;
    for (const s of this.#streams.values()) s.join?.settle(s, this.#ctx, now, this.joinWindowNs, offset);
  }

  /**
   * Live input: no packet will come stamped before `rxNs` (receiver) and
   * `txNs` (sender): hand on what the reorder buffers hold up to then.
   */
  advanceTo(rxNs: bigint | null, txNs: bigint | null): void {
    if (rxNs !== null && this.#rxBase.set) this.#rxOrder.releaseUntil(Number(rxNs - this.#rxBase.base));
    if (txNs !== null && this.#txBase.set) this.#txOrder.releaseUntil(Number(txNs - this.#txBase.base));
    this.settle();
  }

  /** End of input: everything waiting is handed on and settled. */
  finish(): void {
    this.#rxOrder.flush();
    this.#txOrder.flush();
    this.#clockOffset();
    for (const s of this.#streams.values()) s.join?.settleAll(s, this.#ctx);
  }

  /**
   * The figures so far. Cheap: the distributions are views of the live
   * histograms, valid until the analyser is fed again (a scrape or a report
   * reads them at once). Packets still in the reorder buffers and TX copies
   * still inside the join window are not in it yet; finish() settles all.
   */
  snapshot(): StatsSnapshot {
    this.settle();
    const withTx = this.#hasTx;
    const streams: StreamStats[] = [];
    for (const s of this.#streams.values()) {
      const j = s.join;
      // A stream none of whose TX copies was given (another sender): no sent/lost.
      const covered = withTx && j !== null && j.txCopies > 0;
      const sent = covered ? j.sent : null;
      if (s.received === 0 && !sent) continue;
      const got = s.unique > 0;
      streams.push({
        src: ipv4ToString(s.src),
        srcAddr: s.src,
        cpu: s.cpu,
        received: s.received,
        unique: s.unique,
        duplicates: s.duplicates,
        first_seq: got ? s.seqOf(s.minRel) : null,
        last_seq: got ? s.seqOf(s.maxRel) : null,
        missing: got ? Math.max(0, s.maxRel - s.minRel + 1 - s.unique) : 0,
        sent,
        lost: covered ? j.lost : null,
        reordered: s.reordered,
        reorder_extent_max: s.extentMax,
        interval: s.interval.count > 0 ? s.interval : null,
        ipdv: covered && j.ipdv.count > 0 ? j.ipdv : null,
        owd: covered && this.syncedClocks && j.owd.count > 0 ? j.owd : null,
        beyond_window: s.beyondWindow,
        join_late: j?.late ?? 0,
        join_forced: j?.forced ?? 0,
        rx_without_tx: j?.rxWithoutTx ?? 0,
        seq_out_of_range: s.seqOutOfRange,
        lastSeenMs: s.lastSeenMs,
        ipdvSeries: () => j?.ipdvSeries.bins() ?? [],
      });
    }
    streams.sort((a, b) => a.srcAddr - b.srcAddr || a.cpu - b.cpu);
    return {
      streams,
      no_option: this.rx.noOption,
      not_ipv4: this.rx.notIpv4,
      tx_no_option: this.tx.noOption,
      tx_not_ipv4: this.tx.notIpv4,
      streams_dropped: this.streamsDropped,
      rx_reorder_late: this.#rxOrder.late,
      tx_reorder_late: this.#txOrder.late,
      with_tx: withTx,
    };
  }

  /** The JSON shape of `pval stats --json` for the figures so far. */
  report(): StatsReport {
    return toReport(this.snapshot());
  }
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
