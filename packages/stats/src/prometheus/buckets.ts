// Bucket bounds of the exported histograms, in nanoseconds (integers, so the
// `le` labels print as short decimals in seconds).

/** Inter-arrival intervals: 1 µs to 10 s, in 1-2-5 steps. */
export const INTERVAL_BUCKETS_NS: readonly number[] = decades(1_000, 10_000_000_000, [1, 2, 5]);

/** IPDV (may be negative): ±1 µs to ±1 s by decades, and 0. */
export const IPDV_BUCKETS_NS: readonly number[] = (() => {
  const positive = decades(1_000, 1_000_000_000, [1]);
  return [...positive.map((v) => -v).reverse(), 0, ...positive];
})();

/** from, from*steps[1], ... up to and including `to`, decade by decade. */
function decades(from: number, to: number, steps: readonly number[]): number[] {
  const out: number[] = [];
  for (let decade = from; decade <= to; decade *= 10) {
    for (const step of steps) {
      if (decade * step <= to) out.push(decade * step);
    }
  }
  return out;
}

/** Checks a bucket list: finite, strictly increasing. */
export function checkBuckets(name: string, bounds: readonly number[]): void {
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i] as number;
    if (!Number.isFinite(b)) throw new RangeError(`${name}: bucket bound ${b} is not finite`);
    if (i > 0 && b <= (bounds[i - 1] as number)) {
      throw new RangeError(`${name}: bucket bounds must increase (${bounds[i - 1]} then ${b})`);
    }
  }
}
