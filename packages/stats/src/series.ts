// A time series in fixed memory: at most `maxBins` bins of min, max, sum and
// count; when a sample falls past the last bin, neighbouring bins merge in
// pairs and the bin width doubles. For plots of a whole capture (IPDV over
// time) without keeping a sample per packet.

export interface SeriesBin {
  /** Start of the bin (ns, the analyser's relative time). */
  t: number;
  min: number;
  max: number;
  mean: number;
  count: number;
}

export class TimeSeries {
  readonly maxBins: number;
  #start = Number.NaN;
  #width: number;
  #min: Float64Array;
  #max: Float64Array;
  #sum: Float64Array;
  #count: Float64Array;

  constructor(maxBins = 512, initialWidthNs = 1_000_000) {
    if (maxBins < 2 || maxBins % 2 !== 0) throw new RangeError("maxBins must be an even number >= 2");
    this.maxBins = maxBins;
    this.#width = initialWidthNs;
    this.#min = new Float64Array(maxBins);
    this.#max = new Float64Array(maxBins);
    this.#sum = new Float64Array(maxBins);
    this.#count = new Float64Array(maxBins);
  }

  /** Bin width in ns (grows as the series gets longer). */
  get widthNs(): number {
    return this.#width;
  }

  add(t: number, v: number): void {
    if (Number.isNaN(this.#start)) this.#start = t;
    if (t < this.#start) t = this.#start; // a late sample joins the first bin
    let b = Math.floor((t - this.#start) / this.#width);
    while (b >= this.maxBins) {
      this.#halve();
      b = Math.floor((t - this.#start) / this.#width);
    }
    if (this.#count[b] === 0) {
      this.#min[b] = v;
      this.#max[b] = v;
    } else {
      if (v < this.#min[b]!) this.#min[b] = v;
      if (v > this.#max[b]!) this.#max[b] = v;
    }
    this.#sum[b]! += v;
    this.#count[b]! += 1;
  }

  #halve(): void {
    const half = this.maxBins / 2;
    for (let i = 0; i < half; i++) {
      const a = 2 * i;
      const b = a + 1;
      const ca = this.#count[a]!;
      const cb = this.#count[b]!;
      const min = ca === 0 ? this.#min[b]! : cb === 0 ? this.#min[a]! : Math.min(this.#min[a]!, this.#min[b]!);
      const max = ca === 0 ? this.#max[b]! : cb === 0 ? this.#max[a]! : Math.max(this.#max[a]!, this.#max[b]!);
      this.#min[i] = min;
      this.#max[i] = max;
      this.#sum[i] = this.#sum[a]! + this.#sum[b]!;
      this.#count[i] = ca + cb;
    }
    for (const c of [this.#min, this.#max, this.#sum, this.#count]) c.fill(0, half);
    this.#width *= 2;
  }

  /** The non-empty bins in time order. */
  bins(): SeriesBin[] {
    const out: SeriesBin[] = [];
    for (let i = 0; i < this.maxBins; i++) {
      const count = this.#count[i]!;
      if (count === 0) continue;
      out.push({
        t: this.#start + i * this.#width,
        min: this.#min[i]!,
        max: this.#max[i]!,
        mean: this.#sum[i]! / count,
        count,
      });
    }
    return out;
  }
}
