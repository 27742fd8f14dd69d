import { describe, expect, it } from "vitest";
import { HelpRequested, matches, parseDevArg, parseLinkArgs, UsageError, usage } from "./link-grammar.js";

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error("expected a UsageError");
}

describe("matches", () => {
  it("accepts every non-empty prefix and the word itself", () => {
    for (let n = 1; n <= "ipopt".length; n++) expect(matches("ipopt".slice(0, n), "ipopt")).toBe(true);
  });
  it("rejects the empty word, a longer word and a non-prefix", () => {
    expect(matches("", "ipopt")).toBe(false);
    expect(matches("ipopts", "ipopt")).toBe(false);
    expect(matches("pop", "ipopt")).toBe(false);
  });
});

describe("usage", () => {
  it("starts with the walkthrough's block, then the appended options", () => {
    const lines = usage().split("\n");
    expect(lines.slice(0, 9)).toEqual([
      "Usage: ... pval link PHYS_DEV",
      "                 [ ipopt { on | off } ]",
      "                 [ txtstamp { on | off } ]",
      "                 [ rxtstamp { on | off } ]",
      "                 [ txcopy { on | off } ]",
      "                 [ rxcopy { on | off } ]",
      "                 [ txbusydrop { on | off } ]",
      "                 [ swtstamp { on | off } ]",
      "                 [ ring_slots SLOTS ]",
    ]);
  });
});

describe("parseLinkArgs add", () => {
  it("takes NAME, link and switches, and sends only what was given", () => {
    expect(parseLinkArgs(["pval7", "link", "veth0", "ipopt", "on", "txbusydrop", "off"], "add")).toEqual({
      name: "pval7",
      link: "veth0",
      changes: { ipopt: true, txbusydrop: false },
    });
    expect(parseLinkArgs(["link", "veth0"], "add")).toEqual({ link: "veth0", changes: {} });
  });
  it("accepts keyword prefixes the iproute2 way", () => {
    expect(parseLinkArgs(["l", "veth0", "ipo", "on", "rxc", "on", "ring", "256"], "add")).toEqual({
      link: "veth0",
      changes: { ipopt: true, rxcopy: true, ringSlots: 256 },
    });
  });
  it("takes `name NAME` anywhere", () => {
    expect(parseLinkArgs(["link", "veth0", "name", "p0"], "add").name).toBe("p0");
  });
  it("refuses a repeated keyword, also under another prefix", () => {
    expect(usageError(() => parseLinkArgs(["link", "v", "ipopt", "on", "ipo", "off"], "add")).message).toBe(
      'duplicate keyword "ipopt" (at "ipo")',
    );
    expect(usageError(() => parseLinkArgs(["link", "a", "li", "b"], "add")).message).toMatch(
      /duplicate keyword "link"/,
    );
  });
  it("refuses a value other than on/off for a switch", () => {
    const err = usageError(() => parseLinkArgs(["link", "veth0", "ipopt", "maybe"], "add"));
    expect(err.message).toBe('invalid value "maybe" for ipopt: use on or off');
    expect(err.showUsage).toBe(false);
  });
  it("refuses a non-numeric or oversized ring_slots", () => {
    expect(usageError(() => parseLinkArgs(["link", "v", "ring_slots", "1k"], "add")).message).toMatch(/ring_slots/);
    expect(usageError(() => parseLinkArgs(["link", "v", "ring_slots", "4294967296"], "add")).message).toMatch(
      /unsigned integer/,
    );
  });
  it("refuses a keyword without its value", () => {
    expect(usageError(() => parseLinkArgs(["link", "veth0", "txcopy"], "add")).message).toBe('"txcopy" needs a value');
    expect(usageError(() => parseLinkArgs(["link"], "add")).message).toBe('"link" needs a value');
  });
  it("prints the usage for an unknown keyword", () => {
    const err = usageError(() => parseLinkArgs(["link", "veth0", "bogus", "on"], "add"));
    expect(err.message).toBe('unknown keyword "bogus"');
    expect(err.showUsage).toBe(true);
  });
  it("checks for the lower device after the loop", () => {
    const err = usageError(() => parseLinkArgs(["pval0", "ipopt", "on"], "add"));
    expect(err.message).toMatch(/missing "link PHYS_DEV"/);
    expect(err.showUsage).toBe(true);
  });
  it("treats help as a request for the usage", () => {
    expect(() => parseLinkArgs(["link", "veth0", "help"], "add")).toThrow(HelpRequested);
    expect(() => parseDevArg(["help"], false)).toThrow(HelpRequested);
  });
});

describe("parseLinkArgs set", () => {
  it("takes [dev] NAME and applies no creation defaults", () => {
    expect(parseLinkArgs(["dev", "pval0", "ipopt", "on"], "set")).toEqual({ name: "pval0", changes: { ipopt: true } });
    expect(parseLinkArgs(["pval0", "txcopy", "off"], "set")).toEqual({ name: "pval0", changes: { txcopy: false } });
    expect(parseLinkArgs(["pval0"], "set")).toEqual({ name: "pval0", changes: {} });
  });
  it("needs the link to change", () => {
    expect(usageError(() => parseLinkArgs(["ipopt", "on"], "set")).message).toMatch(/missing the link/);
  });
  it("refuses to change the lower device", () => {
    expect(usageError(() => parseLinkArgs(["pval0", "link", "veth1"], "set")).message).toMatch(/cannot be changed/);
  });
});

describe("parseDevArg", () => {
  it("takes NAME or dev NAME", () => {
    expect(parseDevArg(["pval0"], true)).toBe("pval0");
    expect(parseDevArg(["dev", "pval0"], true)).toBe("pval0");
    expect(parseDevArg([], false)).toBeUndefined();
  });
  it("refuses a missing or extra word", () => {
    expect(usageError(() => parseDevArg([], true)).message).toMatch(/missing the link/);
    expect(usageError(() => parseDevArg(["a", "b"], true)).message).toBe('unknown keyword "b"');
    expect(usageError(() => parseDevArg(["dev"], true)).message).toBe('"dev" needs a value');
  });
});
