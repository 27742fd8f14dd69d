// 64-bit timestamps of pcapng arrive as two u32 halves. The value in
// nanoseconds does not fit a double exactly, so divisions are done by hand in
// 16-bit limbs, which keeps every intermediate below 2^53.

export interface SplitTime {
  sec: number;
  /** Fraction of the second in nanoseconds, 0..999_999_999. */
  nsec: number;
}

/**
 * Divides the unsigned 64-bit value `hi * 2^32 + lo` by `divisor` (< 2^36)
 * and returns `[quotient, remainder]`. The quotient must be below 2^53.
 */
export function divU64(hi: number, lo: number, divisor: number): [number, number] {
  let rem = 0;
  let quot = 0;
  const limbs = [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff];
  for (const limb of limbs) {
    const cur = rem * 65536 + limb;
    const q = Math.floor(cur / divisor);
    rem = cur - q * divisor;
    quot = quot * 65536 + q;
  }
  return [quot, rem];
}

/**
 * Converts a pcapng timestamp in units of `1 / unitsPerSec` to seconds and
 * nanoseconds. Non-decimal resolutions are rounded down to the nanosecond.
 */
export function splitTimestamp(hi: number, lo: number, unitsPerSec: number): SplitTime {
  if (unitsPerSec === 1_000_000_000) {
    const [sec, nsec] = divU64(hi, lo, unitsPerSec);
    return { sec, nsec };
  }
  if (unitsPerSec === 1_000_000) {
    const v = hi * 4294967296 + lo;
    const sec = Math.floor(v / 1_000_000);
    return { sec, nsec: (v - sec * 1_000_000) * 1000 };
  }
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const units = BigInt(unitsPerSec);
  const sec = v / units;
  const frac = ((v % units) * 1_000_000_000n) / units;
  return { sec: Number(sec), nsec: Number(frac) };
}

/** The reverse of {@link splitTimestamp} for nanosecond units: `[hi, lo]`. */
export function joinNanoseconds(sec: number, nsec: number): [number, number] {
  const v = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}
