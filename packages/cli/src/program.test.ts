// The program: global options before the command (iproute2's way), `pval
// help COMMAND`, and `pval completion`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNetns, rootSkipReason, type TestNetns } from "../../netlink-pval/test/netns.js";
import type { CliIo } from "./command.js";
import { normalizeGlobalOptions, run, SUBCOMMANDS } from "./program.js";

async function pval(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await run(["node", "pval", ...args], io);
  return { code, out, err };
}

describe("normalizeGlobalOptions", () => {
  it("turns iproute2's spellings before the command into commander's", () => {
    expect(normalizeGlobalOptions(["-json", "-stats", "-details", "-netns", "ns1", "link", "show", "-json"])).toEqual([
      "--json",
      "--stats",
      "--details",
      "--netns",
      "ns1",
      "link",
      "show",
      "-json",
    ]);
    expect(normalizeGlobalOptions(["-js", "-statistics", "-pr", "link"])).toEqual([
      "--json",
      "--stats",
      "--pretty",
      "link",
    ]);
    // A namespace named like an option is a value, not an option.
    expect(normalizeGlobalOptions(["-n", "-json", "link"])).toEqual(["--netns", "-json", "link"]);
  });
  it("leaves other words alone", () => {
    expect(normalizeGlobalOptions(["-V"])).toEqual(["-V"]);
    expect(normalizeGlobalOptions(["dump", "-c", "5"])).toEqual(["dump", "-c", "5"]);
  });
});

describe("pval help COMMAND", () => {
  it("prints each command's own help on stdout, exit 0", async () => {
    for (const sub of SUBCOMMANDS) {
      const help = await pval("help", sub.name);
      expect(help.code, sub.name).toBe(0);
      expect(help.err, sub.name).toBe("");
      // The same text as the command's --help, on whichever stream it writes that.
      const own = await pval(sub.name, "--help");
      expect(own.code, sub.name).toBe(0);
      expect(help.out, sub.name).toBe(own.out + own.err);
      expect(help.out, sub.name).not.toMatch(/\[args\.\.\.\]/);
    }
  });
  it("shows print's options, not a placeholder", async () => {
    const r = await pval("help", "print");
    expect(r.out).toMatch(/^Usage: pval print /);
    expect(r.out).toMatch(/^ +-r[ ,]/m);
  });
  it("prints the program's help without a command, and refuses an unknown one", async () => {
    const all = await pval("help");
    expect(all.code).toBe(0);
    for (const sub of SUBCOMMANDS) expect(all.out).toMatch(new RegExp(`^  ${sub.name} `, "m"));
    expect(all.out).toMatch(/^ +-j, --json /m);
    const bad = await pval("help", "frob");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/'frob' is invalid for argument 'command'/);
  });
});

describe("global options", () => {
  it("belong to link: another command refuses them, exit 2", async () => {
    const r = await pval("-j", "dump", "pval0");
    expect(r).toEqual({
      code: 2,
      out: "",
      err: "pval: -j is an option of pval link; dump takes its own options after its name (pval help dump)\n",
    });
  });
  it("are checked before link runs: a missing namespace value is a usage error", async () => {
    const r = await pval("-n");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/option '-n, --netns <NETNS>' argument missing/);
  });
  it("reach link: -n names the namespace it opens", async () => {
    for (const args of [
      ["-n", "pvnl-missing", "link", "show"],
      ["-netns", "pvnl-missing", "-j", "link", "show"],
    ]) {
      const r = await pval(...args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.err).toBe(
        'link: open netlink socket in network namespace pvnl-missing: network namespace "pvnl-missing" does not exist\n',
      );
    }
  });
});

describe.skipIf(rootSkipReason !== undefined)("global options in a test namespace", () => {
  let ns: TestNetns;
  beforeAll(() => {
    ns = createNetns();
  });
  afterAll(() => ns?.remove());

  it("pval -j link show prints JSON, as ip -j does", async () => {
    for (const args of [
      ["-j", "-n", ns.name, "link", "show"],
      ["-json", "-netns", ns.name, "link", "show"],
      ["-n", ns.name, "link", "-j", "show"],
      ["-n", ns.name, "link", "show", "-j"],
    ]) {
      expect(await pval(...args), args.join(" ")).toEqual({ code: 0, out: "[]\n", err: "" });
    }
    const pretty = await pval("-p", "-n", ns.name, "link", "show");
    expect(pretty).toEqual({ code: 0, out: "[]\n", err: "" });
  });
});

describe("pval completion", () => {
  it("prints the script for bash and zsh", async () => {
    const bash = await pval("completion", "bash");
    expect(bash.code).toBe(0);
    expect(bash.out).toMatch(/^complete -F _pval pval$/m);
    const zsh = await pval("completion", "zsh");
    expect(zsh.code).toBe(0);
    expect(zsh.out).toMatch(/^#compdef pval$/m);
  });
  it("refuses another shell, exit 2", async () => {
    const r = await pval("completion", "fish");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^completion: error: command-argument value 'fish' is invalid/);
  });
});
