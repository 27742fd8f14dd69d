// `pval link` end to end against the host kernel, in a namespace of our own
// (no pval module on the host: creation must fail with the module hint).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNetns, rootSkipReason, type TestNetns } from "../../../netlink-pval/test/netns.js";
import type { CliIo } from "../command.js";
import { main, netnsTarget } from "./link.js";

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await main(args, io);
  return { code, out, err };
}

describe("pval link without a kernel", () => {
  it("help prints the usage on stdout and exits 0", async () => {
    // `add type pval help` is the walkthrough's `ip link add type pval help`.
    for (const args of [["help"], ["add", "help"], ["h"], ["add", "type", "pval", "help"], ["--help"]]) {
      const r = await run(...args);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: \.\.\. pval link PHYS_DEV\n/);
      expect(r.err).toBe("");
    }
  });
  it("usage errors are one line on stderr, exit 2, before any netlink request", async () => {
    const cases: [string[], string][] = [
      [["add", "pval0"], 'link: missing "link PHYS_DEV": a pval link needs a lower device'],
      [["add", "link", "veth0", "ipopt", "on", "ipopt", "off"], 'link: duplicate keyword "ipopt" (at "ipopt")'],
      [["add", "link", "veth0", "ipopt", "maybe"], 'link: invalid value "maybe" for ipopt: use on or off'],
      [["add", "pval0", "link", "veth0", "bogus"], 'link: unknown keyword "bogus"'],
      [["add", "link", "veth0", "pval0", "type", "veth"], 'link: pval link handles links of type pval, not "veth"'],
      [["set", "pval0", "up", "down"], 'link: duplicate keyword "up/down" (at "down")'],
      [["set", "pval0", "mtu", "1k"], 'link: invalid value "1k" for mtu: use an unsigned integer'],
      [["frobnicate"], 'link: unknown command "frobnicate"'],
      [["show", "-x"], 'link: unknown flag "-x"'],
      [["del"], "link: missing the link: [ dev ] NAME"],
    ];
    for (const [args, first] of cases) {
      const r = await run(...args, "-n", "pvnl-never-opened");
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err.split("\n")[0]).toBe(first);
      expect(r.out).toBe("");
    }
  });
});

describe("netnsTarget", () => {
  it("reads a number as a process unless a namespace has that name, as ip does", () => {
    expect(netnsTarget("1234", () => false)).toBe(1234);
    expect(netnsTarget("1234", (p) => p === "/run/netns/1234")).toBe("1234");
    expect(netnsTarget("blue", () => false)).toBe("blue");
    expect(netnsTarget("/proc/1/ns/net", () => true)).toBe("/proc/1/ns/net");
  });
});

describe.skipIf(rootSkipReason !== undefined)("pval link in a test namespace", () => {
  let ns: TestNetns;
  beforeAll(() => {
    ns = createNetns();
  });
  afterAll(() => ns?.remove());

  it("show lists no pval links, in text and JSON", async () => {
    expect(await run("-n", ns.name, "show")).toEqual({ code: 0, out: "", err: "" });
    expect(await run("-n", ns.name, "show", "-j")).toEqual({ code: 0, out: "[]\n", err: "" });
  });
  it("add says how to load the module when the kind is unknown, exit 1", async () => {
    const r = await run("-n", ns.name, "add", "pval0", "link", "veth0", "ipopt", "on");
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "link: create link pval0: Unknown device type (the pval kernel module is not loaded: load it with `modprobe pval` or `insmod kmod/pval.ko`)\n",
    );
  });
  it("add takes ip's word orders and type pval: each reaches the kernel", async () => {
    for (const args of [
      ["add", "link", "veth0", "pval0"],
      ["add", "link", "veth0", "pval0", "type", "pval"],
      ["add", "link", "veth0", "name", "pval0", "type", "pval", "ipopt", "on"],
      ["add", "pval0", "type", "pval", "link", "veth0"],
    ]) {
      const r = await run("-n", ns.name, ...args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.err, args.join(" ")).toMatch(/^link: create link pval0: Unknown device type \(the pval kernel module/);
    }
  });
  it("set up, mtu, name and netns are refused for a link of another kind, which is left alone", async () => {
    for (const words of [["up"], ["mtu", "1400"], ["name", "vethx"], ["netns", ns.name]]) {
      const r = await run("-n", ns.name, "set", "veth1", ...words);
      expect(r).toEqual({ code: 1, out: "", err: "link: change link veth1: veth1 is not a pval link (kind veth)\n" });
    }
    const [veth1] = ns.ipLinks("veth1");
    expect(veth1!.flags).not.toContain("UP");
  });
  it("add names an unknown lower device, exit 1", async () => {
    const r = await run("-n", ns.name, "add", "link", "nosuch0");
    expect(r).toEqual({ code: 1, out: "", err: 'link: create link: lower device "nosuch0" does not exist\n' });
  });
  it("show, set and del refuse a link of another kind, exit 1, and leave it alone", async () => {
    for (const [verb, op] of [
      ["show", "get link"],
      ["set", "change link"],
      ["del", "delete link"],
    ] as const) {
      const r = await run("-n", ns.name, verb, "dev", "veth0");
      expect(r).toEqual({ code: 1, out: "", err: `link: ${op} veth0: veth0 is not a pval link (kind veth)\n` });
    }
    expect(ns.ipLinks("veth0")).toHaveLength(1);
  });
  it("show names a missing link", async () => {
    expect(await run("-n", ns.name, "show", "nosuch0")).toEqual({
      code: 1,
      out: "",
      err: 'link: get link nosuch0: no link "nosuch0"\n',
    });
  });
  it("says when the namespace does not exist", async () => {
    const r = await run("-n", "pvnl-does-not-exist", "show");
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'link: open netlink socket in network namespace pvnl-does-not-exist: network namespace "pvnl-does-not-exist" does not exist\n',
    );
  });
});
