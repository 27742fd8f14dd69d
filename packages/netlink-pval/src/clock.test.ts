import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeTimestampClock, TIMESTAMP_CLOCKS, timestampClock } from "./clock.js";

describe("timestampClock", () => {
  it("names the clock of each direction from the switches", () => {
    const off = { txtstamp: false, rxtstamp: false, swtstamp: false };
    expect(timestampClock(off, "tx")).toBe("none");
    expect(timestampClock(off, "rx")).toBe("none");
    expect(timestampClock({ ...off, swtstamp: true }, "tx")).toBe("software-tx-xmit");
    expect(timestampClock({ ...off, swtstamp: true }, "rx")).toBe("software-rx-stack");
    expect(timestampClock({ ...off, txtstamp: true }, "tx")).toBe("hardware-phc");
    expect(timestampClock({ ...off, txtstamp: true }, "rx")).toBe("none");
    expect(timestampClock({ ...off, rxtstamp: true, swtstamp: true }, "rx")).toBe("hardware-phc");
    expect(timestampClock({ ...off, rxtstamp: true, swtstamp: true }, "tx")).toBe("software-tx-xmit");
  });

  it("says unknown when a switch it needs is missing", () => {
    expect(timestampClock(undefined, "rx")).toBe("unknown");
    expect(timestampClock({ rxtstamp: false }, "rx")).toBe("unknown");
    expect(timestampClock({ txtstamp: true }, "tx")).toBe("unknown");
    expect(timestampClock({ txtstamp: false, swtstamp: true }, "rx")).toBe("unknown");
  });

  it("hardware wins over software; swtstamp alone is software; a name for every input", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom("tx" as const, "rx" as const),
        (t, r, s, d) => {
          const clock = timestampClock({ txtstamp: t, rxtstamp: r, swtstamp: s }, d);
          const hw = d === "tx" ? t : r;
          expect(TIMESTAMP_CLOCKS).toContain(clock);
          expect(clock === "hardware-phc").toBe(hw);
          expect(clock === "none").toBe(!hw && !s);
          expect(clock.startsWith("software")).toBe(!hw && s);
        },
      ),
    );
  });

  it("describes every clock, the software fallback of hardware with swtstamp", () => {
    for (const c of TIMESTAMP_CLOCKS) expect(describeTimestampClock(c).length).toBeGreaterThan(0);
    expect(describeTimestampClock("hardware-phc", true)).toContain("software clock when none");
    expect(describeTimestampClock("software-rx-stack")).toContain("receive stack");
  });
});
