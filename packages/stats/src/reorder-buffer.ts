// Arrival order from inputs that are not in timestamp order: several rings
// read in turns, or a capture file holding several devices' records batch by
// batch. Packets wait here, sorted by timestamp (ties keep input order), until
// the newest timestamp seen is `horizonNs` past theirs, or until `maxPending`
// are waiting; then they leave in order.
//
// Memory is bounded by maxPending rows of 28 bytes (the columns below, grown
// on demand). A packet whose timestamp is older than one already handed on
// arrived later than the horizon: it is handed on at once, out of order, and
// counted in `late`, never dropped and never silently misplaced.

/** Receives the packets in order. Times are ns relative to the analyser's base. */
export type PacketSink = (t: number, src: number, dst: number, cpu: number, seqHi: number, seqLo: number) => void;

export class ReorderBuffer {
  readonly horizonNs: number;
  readonly maxPending: number;
  /** Packets that arrived after a later-stamped packet had already been handed on. */
  late = 0;
  #sink: PacketSink;
  #t = new Float64Array(1024);
  #src = new Uint32Array(1024);
  #dst = new Uint32Array(1024);
  #cpu = new Uint32Array(1024);
  #hi = new Uint32Array(1024);
  #lo = new Uint32Array(1024);
  #head = 0;
  #tail = 0;
  #newest = Number.NEGATIVE_INFINITY;
  #lastOut = Number.NEGATIVE_INFINITY;

  constructor(horizonNs: number, maxPending: number, sink: PacketSink) {
    if (!(horizonNs >= 0)) throw new RangeError(`horizon must be >= 0 ns, not ${horizonNs}`);
    if (!(maxPending >= 1)) throw new RangeError(`maxPending must be >= 1, not ${maxPending}`);
    this.horizonNs = horizonNs;
    this.maxPending = maxPending;
    this.#sink = sink;
  }

  /** Packets waiting. */
  get pending(): number {
    return this.#tail - this.#head;
  }

  /** Timestamp of the last packet handed on (-Infinity before the first). */
  get lastOut(): number {
    return this.#lastOut;
  }

  push(t: number, src: number, dst: number, cpu: number, seqHi: number, seqLo: number): void {
    if (t < this.#lastOut) {
      this.late++;
      this.#sink(t, src, dst, cpu, seqHi, seqLo);
      return;
    }
    if (this.#tail === this.#t.length) this.#makeRoom();
    let at = this.#tail;
    const times = this.#t;
    if (at > this.#head && times[at - 1]! > t) {
      // Out of order: after the last row with a timestamp <= t (ties keep input order).
      let lo = this.#head;
      let hi = at;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (times[mid]! <= t) lo = mid + 1;
        else hi = mid;
      }
      this.#shift(lo);
      at = lo;
    }
    times[at] = t;
    this.#src[at] = src;
    this.#dst[at] = dst;
    this.#cpu[at] = cpu;
    this.#hi[at] = seqHi;
    this.#lo[at] = seqLo;
    this.#tail++;
    if (t > this.#newest) this.#newest = t;
    this.#release(this.#newest - this.horizonNs);
  }

  /** Hands on every packet stamped at or before `t` (and any beyond maxPending). */
  #release(t: number): void {
    const times = this.#t;
    while (this.#head < this.#tail && (times[this.#head]! <= t || this.#tail - this.#head > this.maxPending)) {
      const i = this.#head++;
      this.#lastOut = times[i]!;
      this.#sink(times[i]!, this.#src[i]!, this.#dst[i]!, this.#cpu[i]!, this.#hi[i]!, this.#lo[i]!);
    }
    if (this.#head === this.#tail) this.#head = this.#tail = 0;
  }

  /** Hands on every packet stamped at or before `t`, whatever the horizon (live mode: the clock moved on). */
  releaseUntil(t: number): void {
    this.#release(t);
  }

  /** Hands on everything (end of input). */
  flush(): void {
    this.#release(Number.POSITIVE_INFINITY);
  }

  #columns(): (Float64Array | Uint32Array)[] {
    return [this.#t, this.#src, this.#dst, this.#cpu, this.#hi, this.#lo];
  }

  // Moves rows [at, tail) one place up; the caller has made room.
  #shift(at: number): void {
    for (const c of this.#columns()) c.copyWithin(at + 1, at, this.#tail);
  }

  #makeRoom(): void {
    const used = this.#tail - this.#head;
    if (this.#head > 0 && used <= this.#t.length / 2) {
      for (const c of this.#columns()) c.copyWithin(0, this.#head, this.#tail);
    } else {
      const size = this.#t.length * 2;
      const grow = <T extends Float64Array | Uint32Array>(c: T, make: (n: number) => T): T => {
        const bigger = make(size);
        bigger.set(c.subarray(this.#head, this.#tail));
        return bigger;
      };
      this.#t = grow(this.#t, (n) => new Float64Array(n));
      this.#src = grow(this.#src, (n) => new Uint32Array(n));
      this.#dst = grow(this.#dst, (n) => new Uint32Array(n));
      this.#cpu = grow(this.#cpu, (n) => new Uint32Array(n));
      this.#hi = grow(this.#hi, (n) => new Uint32Array(n));
      this.#lo = grow(this.#lo, (n) => new Uint32Array(n));
    }
    this.#tail = used;
    this.#head = 0;
  }
}
