// A log-bucket histogram of integer nanosecond values, positive or negative,
// in fixed memory with a stated relative error (HdrHistogram's idea, sized for
// ns figures): count, sum, min and max are exact; percentiles and cumulative
// counts come from the buckets.
//
// Buckets of a magnitude m: m < 256 has one bucket per integer (exact); above,
// every power of two [2^e, 2^(e+1)) is cut into 128 equal buckets, so a bucket
// is at most 1/128 of its lower bound wide and its midpoint, which stands for
// every value in it, is within 0.4% of each of them. Magnitudes up to 2^63
// take at most 256 + 56 * 128 = 7424 buckets; the arrays grow to the largest
// bucket used, so nanosecond intervals up to a second need about 3,100
// (25 KiB). Negative values (delay variation) have their own buckets by
// magnitude.

/** Linear buckets below this magnitude, one per integer. */
const LINEAR = 256;
/** Buckets per power of two above LINEAR (2^SUB_BITS). */
const SUB = 128;
const SUB_BITS = 7;
const TWO32 = 4294967296;

const POW2: number[] = Array.from({ length: 64 }, (_, e) => 2 ** e);

/** Bucket index of a magnitude m >= 0. */
function bucketOf(m: number): number {
  if (m < LINEAR) return Math.floor(m);
  const e = m < TWO32 ? 31 - Math.clz32(m) : 63 - Math.clz32(Math.floor(m / TWO32));
  const sub = Math.floor(m / POW2[e - SUB_BITS]!);
  return LINEAR + (e - 8) * SUB + (sub - SUB);
}

/** The value that stands for bucket b: the integer itself below LINEAR, else the midpoint. */
function bucketValue(b: number): number {
  if (b < LINEAR) return b;
  const k = b - LINEAR;
  const e = 8 + Math.floor(k / SUB);
  const width = POW2[e - SUB_BITS]!;
  return (SUB + (k % SUB)) * width + width / 2;
}

/** Counts per bucket of magnitudes, grown on demand. */
class Buckets {
  counts = new Float64Array(64);
  total = 0;
  /** Highest bucket with a count, -1 when empty. */
  top = -1;

  add(m: number, n: number): void {
    const b = bucketOf(m);
    if (b >= this.counts.length) {
      let size = this.counts.length;
      while (size <= b) size *= 2;
      const bigger = new Float64Array(size);
      bigger.set(this.counts);
      this.counts = bigger;
    }
    this.counts[b]! += n;
    this.total += n;
    if (b > this.top) this.top = b;
  }

  /** The magnitude of the r-th smallest sample (1-based). */
  atRank(r: number): number {
    let seen = 0;
    for (let b = 0; b <= this.top; b++) {
      seen += this.counts[b]!;
      if (seen >= r) return bucketValue(b);
    }
    return bucketValue(this.top);
  }

  /** Samples whose bucket value is <= m (or < m with strict). */
  countUpTo(m: number, strict: boolean): number {
    let n = 0;
    for (let b = 0; b <= this.top; b++) {
      const v = bucketValue(b);
      if (strict ? v >= m : v > m) break;
      n += this.counts[b]!;
    }
    return n;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
    this.top = -1;
  }
}

/** The summary printed and exported for a distribution; ns, rounded to integers. */
export interface DistSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** A distribution as the report and the exporter read it. */
export interface Dist {
  /** Samples (exact). */
  readonly count: number;
  /** Sum of the samples (exact while below 2^53). */
  readonly sum: number;
  /** Smallest and largest sample (exact); NaN when empty. */
  readonly min: number;
  readonly max: number;
  /** sum / count (exact up to floating point); NaN when empty. */
  readonly mean: number;
  /** The q-quantile (0 < q <= 1): the smallest bucket value with at least q·count samples at or below it. */
  quantile(q: number): number;
  /** Samples <= le, within the histogram's relative error. */
  cumulativeCount(le: number): number;
  /** count, min, mean, p50, p90, p99, max. */
  summary(): DistSummary;
}

/** A histogram of integer values (ns), negative values allowed. */
export class Histogram implements Dist {
  readonly #pos = new Buckets();
  readonly #neg = new Buckets();
  count = 0;
  sum = 0;
  min = Number.NaN;
  max = Number.NaN;

  /** Records `v` (`n` times). */
  record(v: number, n = 1): void {
    if (v >= 0) this.#pos.add(v, n);
    else this.#neg.add(-v, n);
    if (this.count === 0) {
      this.min = v;
      this.max = v;
    } else {
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
    this.count += n;
    this.sum += v * n;
  }

  get mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const r = Math.min(this.count, Math.max(1, Math.ceil(q * this.count)));
    const neg = this.#neg.total;
    let v: number;
    // The r-th smallest is negative: the (neg - r + 1)-th smallest magnitude of the negatives.
    if (r <= neg) v = -this.#neg.atRank(neg - r + 1);
    else v = this.#pos.atRank(r - neg);
    return Math.min(this.max, Math.max(this.min, v));
  }

  cumulativeCount(le: number): number {
    if (this.count === 0) return 0;
    if (le >= this.max) return this.count;
    if (le < this.min) return 0;
    // v <= le < 0 means |v| >= |le|.
    if (le < 0) return this.#neg.total - this.#neg.countUpTo(-le, true);
    return this.#neg.total + this.#pos.countUpTo(le, false);
  }

  summary(): DistSummary {
    return {
      count: this.count,
      min: this.min,
      mean: Math.round(this.mean),
      p50: Math.round(this.quantile(0.5)),
      p90: Math.round(this.quantile(0.9)),
      p99: Math.round(this.quantile(0.99)),
      max: this.max,
    };
  }

  clear(): void {
    this.#pos.clear();
    this.#neg.clear();
    this.count = 0;
    this.sum = 0;
    this.min = Number.NaN;
    this.max = Number.NaN;
  }
}

/** The relative error bound of a bucket value against any value in its bucket. */
export const HISTOGRAM_RELATIVE_ERROR = 1 / (2 * SUB);
