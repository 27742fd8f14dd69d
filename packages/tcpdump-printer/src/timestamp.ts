// Timestamps as tcpdump prints them: -t (none), default (local time of day),
// -tt (epoch seconds), -ttt (delta from the previous packet), -tttt (date
// and time), -ttttt (delta from the first packet); microsecond or, with
// --nano, nanosecond fractions. Local time follows the TZ environment
// variable, as tcpdump's does.

export type TimestampMode = "none" | "time" | "epoch" | "delta" | "date" | "since-first";
export type Precision = "micro" | "nano";

/** Maps the number of `-t` flags to a mode (0 = default). */
export function timestampModeFromCount(count: number): TimestampMode {
  return (["time", "none", "epoch", "delta", "date", "since-first"] as const)[Math.min(count, 5)]!;
}

const ZEROS = "000000000";

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export class TimestampFormatter {
  #prevSec = -1;
  #prevNsec = 0;
  #firstSec = -1;
  #firstNsec = 0;
  #cacheSec = Number.NaN;
  #cacheText = "";

  constructor(
    readonly mode: TimestampMode,
    readonly precision: Precision = "micro",
  ) {}

  #frac(nsec: number): string {
    if (this.precision === "nano") {
      const s = String(nsec);
      return ZEROS.slice(0, 9 - s.length) + s;
    }
    const s = String(Math.floor(nsec / 1000));
    return ZEROS.slice(0, 6 - s.length) + s;
  }

  #delta(sec: number, nsec: number, fromSec: number, fromNsec: number): string {
    let ds = sec - fromSec;
    let dn = nsec - fromNsec;
    let sign = "";
    if (ds < 0 || (ds === 0 && dn < 0)) {
      sign = "-";
      ds = -ds;
      dn = -dn;
    }
    if (dn < 0) {
      ds -= 1;
      dn += 1_000_000_000;
    }
    return ` ${sign}${pad2(Math.floor(ds / 3600))}:${pad2(Math.floor((ds % 3600) / 60))}:${pad2(ds % 60)}.${this.#frac(dn)}`;
  }

  /** The date and/or time of day of `sec` (modes "time" and "date"), cached per second. */
  prefix(sec: number): string {
    if (sec !== this.#cacheSec) {
      const d = new Date(sec * 1000);
      const tod = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
      this.#cacheText =
        this.mode === "date" ? `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${tod}` : tod;
      this.#cacheSec = sec;
    }
    return this.#cacheText;
  }

  /** The timestamp text followed by a space (empty for `-t`). */
  format(sec: number, nsec: number): string {
    switch (this.mode) {
      case "none":
        return "";
      case "epoch":
        return `${sec}.${this.#frac(nsec)} `;
      case "delta": {
        const text =
          this.#prevSec < 0 ? this.#delta(0, 0, 0, 0) : this.#delta(sec, nsec, this.#prevSec, this.#prevNsec);
        this.#prevSec = sec;
        this.#prevNsec = nsec;
        return `${text} `;
      }
      case "since-first":
        if (this.#firstSec < 0) {
          this.#firstSec = sec;
          this.#firstNsec = nsec;
        }
        return `${this.#delta(sec, nsec, this.#firstSec, this.#firstNsec)} `;
      default:
        return `${this.prefix(sec)}.${this.#frac(nsec)} `;
    }
  }
}
