import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HISTOGRAM_RELATIVE_ERROR, Histogram } from "./histogram.js";

/** The q-quantile of sorted values, as the histogram defines it (the ceil(q·n)-th smallest). */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

describe("Histogram", () => {
  it("is exact below 256 and for count, min, max, mean", () => {
    const h = new Histogram();
    for (const v of [5, 1, 200, 7, 7]) h.record(v);
    expect(h.count).toBe(5);
    expect(h.min).toBe(1);
    expect(h.max).toBe(200);
    expect(h.mean).toBe(44);
    expect(h.quantile(0.5)).toBe(7);
    expect(h.quantile(0.2)).toBe(1);
    expect(h.quantile(1)).toBe(200);
    expect(h.cumulativeCount(6)).toBe(2);
    expect(h.cumulativeCount(7)).toBe(4);
    expect(h.summary()).toEqual({ count: 5, min: 1, mean: 44, p50: 7, p90: 200, p99: 200, max: 200 });
  });

  it("is empty: NaN figures, zero counts", () => {
    const h = new Histogram();
    expect(h.count).toBe(0);
    expect(h.quantile(0.5)).toBeNaN();
    expect(h.mean).toBeNaN();
    expect(h.cumulativeCount(100)).toBe(0);
  });

  it("keeps negative values apart (IPDV)", () => {
    const h = new Histogram();
    for (const v of [-1_000_000, -300, 0, 250, 2_000_000]) h.record(v);
    expect(h.min).toBe(-1_000_000);
    expect(h.quantile(0.2)).toBe(-1_000_000);
    expect(h.quantile(0.4)).toBeCloseTo(-300, -1);
    expect(h.quantile(0.6)).toBe(0);
    expect(h.cumulativeCount(-310)).toBe(1);
    expect(h.cumulativeCount(-1)).toBe(2);
    expect(h.cumulativeCount(0)).toBe(3);
    expect(h.cumulativeCount(1e7)).toBe(5);
    expect(h.cumulativeCount(-2e6)).toBe(0);
  });

  it("handles values beyond 2^32 and 2^53", () => {
    const h = new Histogram();
    h.record(2 ** 40 + 12345);
    h.record(2 ** 60);
    expect(Math.abs(h.quantile(0.5) / (2 ** 40 + 12345) - 1)).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR);
    expect(h.quantile(1)).toBe(2 ** 60);
  });

  it("gives percentiles within 1% of the exact ones (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5e9, max: 5e9 }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom(0.01, 0.5, 0.9, 0.99, 1),
        (values, q) => {
          const h = new Histogram();
          for (const v of values) h.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          const exact = exactQuantile(sorted, q);
          const got = h.quantile(q);
          expect(Math.abs(got - exact)).toBeLessThanOrEqual(Math.abs(exact) * 0.01);
          expect(h.min).toBe(sorted[0]);
          expect(h.max).toBe(sorted.at(-1));
          expect(h.sum).toBe(values.reduce((a, b) => a + b, 0));
          // cumulativeCount(le) lies between the exact counts at le moved by the relative error.
          for (const le of [exact, -exact, exact / 3]) {
            const lo = le - Math.abs(le) * 0.01 - 0.5;
            const hi = le + Math.abs(le) * 0.01 + 0.5;
            const cc = h.cumulativeCount(le);
            expect(cc).toBeGreaterThanOrEqual(sorted.filter((v) => v <= lo).length);
            expect(cc).toBeLessThanOrEqual(sorted.filter((v) => v <= hi).length);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
