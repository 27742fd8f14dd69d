// The state of one stream — (IPv4 source, option 222 cpu) — and the
// definitions of SPEC section 6, applied one packet at a time in arrival
// order.
//
// Sequence numbers are u64. A stream keeps the first seq it saw as a base (two
// u32 halves) and works on `rel` = seq − base as a plain number, exact while
// |rel| < 2^52; a packet further than that from the base is counted in
// `seqOutOfRange` and not analysed. BigInts are made only for reports.
//
// Bounded state, per stream:
// - Duplicates: a bitmap of the `window` seqs at or below the largest seq
//   seen (default 65536 seqs, 8 KiB). A packet with a seq at or below
//   max − window cannot be told from a duplicate: it counts as received,
//   unique and reordered (with no extent) and in `beyondWindow`.
// - Reordering extent (RFC 4737 §4.2): the "record highs" — arrival positions
//   where a new largest seq arrived — whose seq lies inside the window. The
//   earliest position with a seq larger than s is always a record high, so a
//   binary search over them gives j for a reordered packet; at most `window`
//   entries (16 bytes each, grown on demand).
// - The join with the sender's TX copies: a table indexed by seq (see
//   JoinTable), at most `maxJoin` seqs.

import { Histogram } from "./histogram.js";
import { TimeSeries } from "./series.js";

const TWO32 = 4294967296;
/** |seq − base| beyond this is not analysed (kept exact in a double with room to spare). */
const MAX_REL = 2 ** 52;

/** A matched packet, for --records: times in ns relative to each side's base. */
export interface MatchEvent {
  stream: StreamState;
  rel: number;
  txRel: number;
  rxRel: number;
  /** null for the first matched packet of the stream. */
  ipdv: number | null;
}

/** What the join needs from the analyser. */
export interface JoinContext {
  /** Destinations the receiver saw. */
  rxDsts: Set<number>;
  /** rx − tx of a match in ns, absolute (for OWD): rxRel − txRel + this. */
  baseDiff: number;
  synced: boolean;
  onMatch: ((m: MatchEvent) => void) | undefined;
  /** Called for every TX copy settled as lost (tx: its time relative to the TX base). */
  onLost?: ((stream: StreamState, rel: number, tx: number) => void) | undefined;
  /** Called with (rxRel − txRel) of every match (clock offset estimate). */
  matched(delta: number): void;
}

export class StreamState {
  readonly src: number;
  readonly cpu: number;
  readonly window: number;
  readonly #mask: number;

  // seq base
  hasBase = false;
  baseHi = 0;
  baseLo = 0;

  // RX figures
  received = 0;
  unique = 0;
  duplicates = 0;
  reordered = 0;
  extentMax = 0;
  beyondWindow = 0;
  seqOutOfRange = 0;
  minRel = Number.NaN;
  maxRel = Number.NaN;
  /** Non-duplicate arrivals so far (the next arrival position). */
  pos = 0;
  lastT = Number.NaN;
  readonly interval = new Histogram();
  lastSeenMs = 0;

  #bits: Uint32Array;
  // record highs: a ring of (seq rel, arrival position)
  #rhSeq = new Float64Array(256);
  #rhPos = new Float64Array(256);
  #rhHead = 0;
  #rhLen = 0;

  join: JoinTable | null = null;

  constructor(src: number, cpu: number, window: number) {
    this.src = src;
    this.cpu = cpu;
    this.window = window;
    this.#mask = window - 1;
    this.#bits = new Uint32Array(window >>> 5);
  }

  /** seq − base as a number, setting the base on the first call; NaN when out of range. */
  rel(seqHi: number, seqLo: number): number {
    if (!this.hasBase) {
      this.hasBase = true;
      this.baseHi = seqHi;
      this.baseLo = seqLo;
      return 0;
    }
    const r = (seqHi - this.baseHi) * TWO32 + (seqLo - this.baseLo);
    if (r > MAX_REL || r < -MAX_REL) {
      this.seqOutOfRange++;
      return Number.NaN;
    }
    return r;
  }

  /** seq of a rel as a BigInt. */
  seqOf(rel: number): bigint {
    return ((BigInt(this.baseHi) << 32n) | BigInt(this.baseLo)) + BigInt(rel);
  }

  /** One received packet, in arrival order. Returns false for a duplicate. */
  receive(t: number, r: number): boolean {
    this.received++;
    const bits = this.#bits;
    if (this.unique === 0) {
      this.maxRel = this.minRel = r;
      this.#set(r);
      this.#pushRecordHigh(r);
    } else if (r > this.maxRel) {
      const gap = r - this.maxRel;
      if (gap >= this.window) bits.fill(0);
      else this.#clearRange(this.maxRel + 1, gap);
      this.maxRel = r;
      this.#set(r);
      this.#pushRecordHigh(r);
    } else if (r <= this.maxRel - this.window) {
      this.beyondWindow++;
      this.reordered++;
      if (r < this.minRel) this.minRel = r;
    } else {
      const i = this.#index(r);
      if ((bits[i >>> 5]! & (1 << (i & 31))) !== 0) {
        this.duplicates++;
        return false;
      }
      bits[i >>> 5]! |= 1 << (i & 31);
      // r < maxRel here: r == maxRel always has its bit set.
      this.reordered++;
      const extent = this.pos - this.#firstPositionAbove(r);
      if (extent > this.extentMax) this.extentMax = extent;
      if (r < this.minRel) this.minRel = r;
    }
    this.unique++;
    this.pos++;
    if (!Number.isNaN(this.lastT)) this.interval.record(t - this.lastT);
    this.lastT = t;
    return true;
  }

  // r mod window: `&` takes r modulo 2^32 exactly (any integer below 2^53,
  // negative ones too), and the window divides 2^32.
  #index(r: number): number {
    return r & this.#mask;
  }

  #set(r: number): void {
    const i = this.#index(r);
    this.#bits[i >>> 5]! |= 1 << (i & 31);
  }

  /** Clears the bits of n seqs from r on (n < window), a word at a time. */
  #clearRange(r: number, n: number): void {
    const bits = this.#bits;
    let i = this.#index(r);
    while (n > 0) {
      const b = i & 31;
      const take = Math.min(32 - b, n);
      const mask = take === 32 ? -1 : ((1 << take) - 1) << b;
      bits[i >>> 5]! &= ~mask;
      i = (i + take) & this.#mask;
      n -= take;
    }
  }

  #pushRecordHigh(r: number): void {
    // Drop record highs that left the window: no packet inside it needs them.
    const floor = r - this.window;
    let cap = this.#rhSeq.length;
    while (this.#rhLen > 0 && this.#rhSeq[this.#rhHead]! <= floor) {
      this.#rhHead = (this.#rhHead + 1) & (cap - 1);
      this.#rhLen--;
    }
    if (this.#rhLen === cap) {
      const seq = new Float64Array(cap * 2);
      const pos = new Float64Array(cap * 2);
      for (let k = 0; k < this.#rhLen; k++) {
        const from = (this.#rhHead + k) & (cap - 1);
        seq[k] = this.#rhSeq[from]!;
        pos[k] = this.#rhPos[from]!;
      }
      this.#rhSeq = seq;
      this.#rhPos = pos;
      this.#rhHead = 0;
      cap *= 2;
    }
    const at = (this.#rhHead + this.#rhLen) & (cap - 1);
    this.#rhSeq[at] = r;
    this.#rhPos[at] = this.pos;
    this.#rhLen++;
  }

  /** Arrival position of the first record high with a seq larger than r (one exists: r < maxRel). */
  #firstPositionAbove(r: number): number {
    const mask = this.#rhSeq.length - 1;
    let lo = 0;
    let hi = this.#rhLen - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#rhSeq[(this.#rhHead + mid) & mask]! > r) hi = mid;
      else lo = mid + 1;
    }
    return this.#rhPos[(this.#rhHead + lo) & mask]!;
  }
}

/**
 * The join of one stream's TX copies with its received packets, indexed by
 * seq: a ring of slots from `floor` (the lowest seq not yet settled) to
 * `top`. A slot settles, in seq order, once the time of its TX copy (on the
 * receiver's clock) is `window` ns behind both inputs: matched, lost (a TX
 * copy to a destination the receiver saw, never received), or neither. A
 * packet for a seq already settled arrived after the window and is counted
 * in `late`; a ring full at `maxJoin` seqs settles its oldest slot early and
 * counts it in `forced`.
 */
export class JoinTable {
  readonly maxJoin: number;
  sent = 0;
  lost = 0;
  /** TX copies to destinations the receiver never saw (not in `sent`). */
  otherDst = 0;
  /** TX copies put in the table. */
  txCopies = 0;
  /** Received packets for which no TX copy was seen. */
  rxWithoutTx = 0;
  /** Packets (either side) for a seq settled already. */
  late = 0;
  /** Slots settled early because the table was full. */
  forced = 0;
  readonly ipdv = new Histogram();
  readonly owd = new Histogram();
  readonly ipdvSeries = new TimeSeries();

  #floor = Number.NaN;
  #top = Number.NaN;
  /** Seqs below this have settled. */
  #settledTo = Number.NEGATIVE_INFINITY;
  #head = 0;
  #tx = new Float64Array(1024).fill(Number.NaN);
  #rx = new Float64Array(1024).fill(Number.NaN);
  #dst = new Uint32Array(1024);
  #prevTx = Number.NaN;
  #prevRx = Number.NaN;

  constructor(maxJoin: number) {
    this.maxJoin = maxJoin;
  }

  /** Seqs waiting to settle. */
  get pending(): number {
    return Number.isNaN(this.#floor) ? 0 : this.#top - this.#floor;
  }

  /** Records a TX copy (tx true) or a first arrival; returns false when its seq had settled already. */
  put(stream: StreamState, ctx: JoinContext, r: number, t: number, dst: number, tx: boolean): boolean {
    if (Number.isNaN(this.#floor)) {
      this.#floor = r;
      this.#top = r;
    }
    if (r < this.#floor) {
      // Below the table: late if that seq has settled, else the table grows down
      // (a packet may be seen before its TX copy, and TX copies out of seq order).
      if (r < this.#settledTo || this.#top - r > this.#tx.length) {
        this.late++;
        return false;
      }
      const k = this.#floor - r;
      const mask = this.#tx.length - 1;
      this.#head = (this.#head - k) & mask;
      for (let i = 0; i < k; i++) {
        const at = (this.#head + i) & mask;
        this.#tx[at] = Number.NaN;
        this.#rx[at] = Number.NaN;
      }
      this.#floor = r;
    }
    while (r >= this.#top) {
      if (this.#top - this.#floor === this.#tx.length && !this.#grow()) {
        this.forced++;
        this.#settle(stream, ctx);
      }
      const at = (this.#head + (this.#top - this.#floor)) & (this.#tx.length - 1);
      this.#tx[at] = Number.NaN;
      this.#rx[at] = Number.NaN;
      this.#top++;
    }
    const at = (this.#head + (r - this.#floor)) & (this.#tx.length - 1);
    if (tx) {
      this.txCopies++;
      this.#tx[at] = t;
      this.#dst[at] = dst;
    } else if (Number.isNaN(this.#rx[at]!)) {
      this.#rx[at] = t;
    }
    return true;
  }

  #grow(): boolean {
    const cap = this.#tx.length;
    if (cap * 2 > this.maxJoin) return false;
    const tx = new Float64Array(cap * 2);
    const rx = new Float64Array(cap * 2);
    const dst = new Uint32Array(cap * 2);
    for (let k = 0; k < cap; k++) {
      const from = (this.#head + k) & (cap - 1);
      tx[k] = this.#tx[from]!;
      rx[k] = this.#rx[from]!;
      dst[k] = this.#dst[from]!;
    }
    this.#tx = tx;
    this.#rx = rx;
    this.#dst = dst;
    this.#head = 0;
    return true;
  }

  /**
   * Settles slots in seq order while their time (TX copy on the receiver's
   * clock: tx + offset; else the arrival) is before `now − window`.
   */
  settle(stream: StreamState, ctx: JoinContext, now: number, window: number, offset: number): void {
    const limit = now - window;
    while (this.#top > this.#floor) {
      const tx = this.#tx[this.#head]!;
      const t = Number.isNaN(tx) ? this.#rx[this.#head]! : tx + offset;
      if (!Number.isNaN(t) && t > limit) return;
      this.#settle(stream, ctx);
    }
  }

  /** Settles everything (end of input). */
  settleAll(stream: StreamState, ctx: JoinContext): void {
    while (this.#top > this.#floor) this.#settle(stream, ctx);
  }

  #settle(stream: StreamState, ctx: JoinContext): void {
    const at = this.#head;
    const tx = this.#tx[at]!;
    const rx = this.#rx[at]!;
    const rel = this.#floor;
    this.#floor++;
    this.#settledTo = this.#floor;
    this.#head = (at + 1) & (this.#tx.length - 1);
    const hasTx = !Number.isNaN(tx);
    const hasRx = !Number.isNaN(rx);
    if (hasTx && hasRx) {
      this.sent++;
      let ipdv: number | null = null;
      if (!Number.isNaN(this.#prevTx)) {
        ipdv = rx - this.#prevRx - (tx - this.#prevTx);
        this.ipdv.record(ipdv);
        this.ipdvSeries.add(rx, ipdv);
      }
      this.#prevTx = tx;
      this.#prevRx = rx;
      if (ctx.synced) this.owd.record(rx - tx + ctx.baseDiff);
      ctx.matched(rx - tx);
      ctx.onMatch?.({ stream, rel, txRel: tx, rxRel: rx, ipdv });
    } else if (hasTx) {
      if (ctx.rxDsts.has(this.#dst[at]!)) {
        this.sent++;
        this.lost++;
        ctx.onLost?.(stream, rel, tx);
      } else this.otherDst++;
    } else if (hasRx) {
      this.rxWithoutTx++;
    }
  }
}
