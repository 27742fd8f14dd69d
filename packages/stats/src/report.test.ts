import { describe, expect, it } from "vitest";
import { StatsAnalyser } from "./analyser.js";
import { captureClock, clockLine, commonClock, formatText, toReport } from "./report.js";

describe("clocks", () => {
  it("commonClock: the common name, unknown for none, mixed when they differ", () => {
    expect(commonClock([])).toBe("unknown");
    expect(commonClock(["software-rx-stack", "software-rx-stack"])).toBe("software-rx-stack");
    expect(commonClock(["hardware-phc", "software-rx-stack"])).toBe("mixed");
    expect(commonClock(["hardware-phc", "unknown"])).toBe("mixed");
  });

  it("captureClock reads the clock= comment of each interface", () => {
    const idb = (...comments: string[]) => ({ comments });
    expect(captureClock([])).toBe("unknown");
    expect(captureClock([idb(), idb("captured by tcpdump")])).toBe("unknown");
    expect(captureClock([idb("clock=software-rx-stack"), idb("note", "clock=software-rx-stack")])).toBe(
      "software-rx-stack",
    );
    expect(captureClock([idb("clock=hardware-phc"), idb("clock=software-rx-stack")])).toBe("mixed");
    expect(captureClock([idb("clock=hardware-phc"), idb()])).toBe("mixed");
    expect(captureClock([idb("clock = spaced words")])).toBe("unknown");
  });

  it("toReport puts clock last and leaves the other keys as they were", () => {
    const snap = new StatsAnalyser({ withTx: true }).snapshot();
    const plain = toReport(snap);
    expect(plain).not.toHaveProperty("clock");
    const doc = toReport(snap, { rx: "software-rx-stack", tx: "software-tx-xmit" });
    expect(Object.keys(doc)).toEqual([...Object.keys(plain), "clock"]);
    expect(doc.clock).toEqual({ rx: "software-rx-stack", tx: "software-tx-xmit" });
    expect(JSON.parse(JSON.stringify(toReport(snap, { rx: "none", tx: null }))).clock).toEqual({
      rx: "none",
      tx: null,
    });
  });

  it("formatText ends with the clock line", () => {
    const snap = new StatsAnalyser().snapshot();
    expect(clockLine({ rx: "hardware-phc", tx: null })).toBe("clock: rx hardware-phc");
    const text = formatText(snap, { rx: "software-rx-stack", tx: "software-tx-xmit" });
    expect(text.endsWith("\nclock: rx software-rx-stack, tx software-tx-xmit\n")).toBe(true);
    expect(formatText(snap)).not.toContain("clock:");
  });
});
