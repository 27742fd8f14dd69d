import { PVAL_OPTIONS } from "@pval/netlink";
import { describe, expect, it } from "vitest";
import { HelpRequested, KEYWORD_HELP, matches, parseLinkArgs, parseVerb, UsageError, usage } from "./link-grammar.js";

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
    // With the name given, a further bare word is unknown (without it, it would be the name).
    const err = usageError(() => parseLinkArgs(["pval0", "link", "veth0", "bogus", "on"], "add"));
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
    expect(() => parseLinkArgs(["help"], "show")).toThrow(HelpRequested);
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

describe("parseLinkArgs add, as ip link add", () => {
  it("takes the name anywhere ip takes it, and type pval", () => {
    const want = { name: "pval0", link: "lo", changes: {} };
    expect(parseLinkArgs(["link", "lo", "pval0"], "add")).toEqual(want);
    expect(parseLinkArgs(["link", "lo", "pval0", "type", "pval"], "add")).toEqual(want);
    expect(parseLinkArgs(["link", "lo", "name", "pval0", "type", "pval"], "add")).toEqual(want);
    expect(parseLinkArgs(["pval0", "type", "pval", "link", "lo"], "add")).toEqual(want);
    expect(parseLinkArgs(["type", "pval", "link", "lo"], "add")).toEqual({ link: "lo", changes: {} });
    expect(parseLinkArgs(["link", "lo", "pval0", "ty", "pval", "ipopt", "on"], "add")).toEqual({
      ...want,
      changes: { ipopt: true },
    });
  });
  it("takes the MTU", () => {
    expect(parseLinkArgs(["link", "lo", "mtu", "1400"], "add").changes).toEqual({ mtu: 1400 });
  });
  it("refuses another type, a second name, and set's own keywords", () => {
    expect(usageError(() => parseLinkArgs(["link", "lo", "type", "veth"], "add")).message).toBe(
      'pval link handles links of type pval, not "veth"',
    );
    const second = usageError(() => parseLinkArgs(["link", "lo", "pval0", "pval1"], "add"));
    expect(second.message).toBe('unknown keyword "pval1"');
    expect(second.showUsage).toBe(true);
    expect(usageError(() => parseLinkArgs(["link", "lo", "name", "a", "name", "b"], "add")).message).toMatch(
      /duplicate keyword "name"/,
    );
    expect(usageError(() => parseLinkArgs(["pval0", "link", "lo", "up"], "add")).message).toBe('unknown keyword "up"');
  });
});

describe("parseLinkArgs set, as ip link set", () => {
  it("takes up, down, mtu, name and netns with the switches", () => {
    expect(parseLinkArgs(["pval0", "up"], "set")).toEqual({ name: "pval0", changes: { up: true } });
    expect(parseLinkArgs(["dev", "pval0", "down"], "set")).toEqual({ name: "pval0", changes: { up: false } });
    expect(
      parseLinkArgs(["pval0", "mtu", "1400", "name", "pv1", "netns", "blue", "type", "pval", "ipo", "on"], "set"),
    ).toEqual({ name: "pval0", changes: { mtu: 1400, name: "pv1", netns: "blue", ipopt: true } });
    // The name after the keywords, as ip allows.
    expect(parseLinkArgs(["up", "pval0"], "set")).toEqual({ name: "pval0", changes: { up: true } });
  });
  it("refuses up with down, a bad MTU, and a keyword without its value", () => {
    expect(usageError(() => parseLinkArgs(["pval0", "up", "down"], "set")).message).toBe(
      'duplicate keyword "up/down" (at "down")',
    );
    expect(usageError(() => parseLinkArgs(["pval0", "mtu", "big"], "set")).message).toBe(
      'invalid value "big" for mtu: use an unsigned integer',
    );
    expect(usageError(() => parseLinkArgs(["pval0", "netns"], "set")).message).toBe('"netns" needs a value');
    expect(usageError(() => parseLinkArgs(["pval0", "name"], "set")).message).toBe('"name" needs a value');
  });
});

describe("parseLinkArgs show and delete", () => {
  it("take NAME or dev NAME, and type pval", () => {
    expect(parseLinkArgs(["pval0"], "delete").name).toBe("pval0");
    expect(parseLinkArgs(["dev", "pval0", "type", "pval"], "delete").name).toBe("pval0");
    expect(parseLinkArgs([], "show")).toEqual({ changes: {} });
    expect(parseLinkArgs(["up", "type", "pval"], "show")).toEqual({ up: true, changes: {} });
  });
  it("refuse a missing or extra word", () => {
    expect(usageError(() => parseLinkArgs([], "delete")).message).toMatch(/missing the link/);
    expect(usageError(() => parseLinkArgs(["a", "b"], "delete")).message).toBe('unknown keyword "b"');
    expect(usageError(() => parseLinkArgs(["dev"], "delete")).message).toBe('"dev" needs a value');
    expect(usageError(() => parseLinkArgs(["pval0", "mtu", "1400"], "show")).message).toBe('unknown keyword "mtu"');
  });
});

describe("parseVerb", () => {
  it("takes the verbs, their prefixes and ip's other words for them", () => {
    const cases: [string | undefined, string][] = [
      [undefined, "show"],
      ["a", "add"],
      ["create", "add"],
      ["s", "set"],
      ["change", "set"],
      ["sh", "show"],
      ["list", "show"],
      ["lst", "show"],
      ["del", "delete"],
      ["delete", "delete"],
      ["h", "help"],
    ];
    for (const [word, verb] of cases) expect(parseVerb(word), String(word)).toBe(verb);
  });
  it("refuses another word with the usage", () => {
    const err = usageError(() => parseVerb("frobnicate"));
    expect(err.message).toBe('unknown command "frobnicate"');
    expect(err.showUsage).toBe(true);
  });
});

describe("KEYWORD_HELP", () => {
  it("describes every keyword of the option table", () => {
    for (const opt of PVAL_OPTIONS) expect(KEYWORD_HELP[opt.key], opt.keyword).toMatch(/^\w.{10,}/);
  });
});
