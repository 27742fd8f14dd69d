// The man pages and completion scripts, generated from the command tree:
// every option of every command is in its page and in both scripts, every
// page renders without a warning, and the bash script completes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PVAL_OPTIONS } from "@pval/netlink";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUBCOMMANDS } from "../program.js";
import { bashCompletion, zshCompletion } from "./completion.js";
import { type CommandDoc, describeProgram, fromHelpText } from "./describe.js";
import { type ManPage, manPages } from "./man.js";

let program: CommandDoc;
let pages: ManPage[];
let dir: string;
let bash: string;
let zsh: string;

beforeAll(async () => {
  program = await describeProgram();
  pages = manPages(program, "1.2.3");
  dir = mkdtempSync(join(tmpdir(), "pval-man-"));
  for (const p of pages) writeFileSync(join(dir, p.file), p.text);
  bash = bashCompletion(program);
  zsh = zshCompletion(program);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `man -l` output as plain text: overstrikes removed, hyphen and minus glyphs as "-". */
function rendered(file: string): { text: string; stderr: string } {
  const r = spawnSync("man", ["--warnings=w", "-l", "-Tutf8", join(dir, file)], {
    encoding: "utf8",
    env: { ...process.env, MANWIDTH: "200", MAN_KEEP_FORMATTING: "0", MANPAGER: "cat", PAGER: "cat" },
  });
  expect(r.error).toBeUndefined();
  return { text: withoutOverstrikes(r.stdout).replace(/[\u2010\u2011\u2212]/g, "-"), stderr: r.stderr };
}

/** grotty's bold and underline (c BS c, _ BS c) as the plain characters. */
function withoutOverstrikes(text: string): string {
  let out = "";
  for (const c of text) out = c === "\b" ? out.slice(0, -1) : out + c;
  return out;
}

/** Every command with the page it belongs to: each subcommand of a command is in its command's page. */
function commandsWithPages(): [CommandDoc, string][] {
  const out: [CommandDoc, string][] = [[program, "pval.8"]];
  const walk = (cmd: CommandDoc, page: string): void => {
    out.push([cmd, page]);
    for (const sub of cmd.subcommands) walk(sub, page);
  };
  for (const cmd of program.subcommands) if (cmd.path[1] !== "help") walk(cmd, `${cmd.path.join("-")}.8`);
  return out;
}

describe("the command tree", () => {
  it("has every command of the program with its options", () => {
    expect(program.subcommands.map((s) => s.path[1])).toEqual(["link", "dump", "print", "stats", "completion", "help"]);
    const byName = new Map(program.subcommands.map((s) => [s.path[1], s]));
    // Walked from commander: dump's, stats' and link's own options.
    expect(byName.get("dump")!.options.map((o) => o.flags)).toContain("-c, --count <COUNT>");
    expect(byName.get("stats")!.options.length).toBeGreaterThan(5);
    expect(byName.get("link")!.options.flatMap((o) => o.names)).toEqual(
      expect.arrayContaining(["-j", "--json", "-n", "--netns", "-s", "-d", "-p", "-h"]),
    );
    expect(byName.get("link")!.subcommands.map((s) => s.path[2])).toEqual(["add", "set", "show", "delete", "help"]);
    expect(byName.get("print")!.options.length).toBeGreaterThan(5);
    expect(program.options.flatMap((o) => o.names)).toEqual(
      expect.arrayContaining(["-j", "--json", "-n", "--netns", "-V", "--version", "-h", "--help"]),
    );
  });

  it("lists a command whose module cannot load by its summary when partial, and fails otherwise", async () => {
    const link = SUBCOMMANDS.find((s) => s.name === "link")!;
    const load = link.load;
    link.load = () => Promise.reject(new Error("Cannot find package '@pval/netlink'"));
    try {
      await expect(describeProgram()).rejects.toThrow(/@pval\/netlink/);
      const partial = await describeProgram({ partial: true });
      const doc = partial.subcommands.find((c) => c.path[1] === "link")!;
      expect(doc.summary).toBe(link.summary);
      expect(doc.options).toEqual([]);
      expect(bashCompletion(partial)).toMatch(/^\t\t:link\) path=link; continue ;;$/m);
    } finally {
      link.load = load;
    }
  });

  it("reads options from a help text when commander did not print it", () => {
    const doc = fromHelpText(
      ["pval", "x"],
      "an example",
      "Usage: pval x -r FILE [options]\n       pval x --slots T\nOptions:\n  -r FILE       read FILE\n  -v, -vv       more\n  --nano, --micro precision\n",
    );
    expect(doc.usage).toEqual(["-r FILE [options]", "--slots T"]);
    expect(doc.options).toEqual([
      { flags: "-r FILE", names: ["-r"], value: "FILE", description: "read FILE" },
      { flags: "-v, -vv", names: ["-v", "-vv"], description: "more" },
      { flags: "--nano, --micro", names: ["--nano", "--micro"], description: "precision" },
    ]);
  });
});

describe("man pages", () => {
  it("are pval(8) and one per command, as package.json installs them", () => {
    const files = pages.map((p) => p.file);
    expect(files).toEqual(
      expect.arrayContaining(["pval.8", "pval-link.8", "pval-dump.8", "pval-print.8", "pval-stats.8"]),
    );
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { man: string[] };
    expect([...pkg.man].sort()).toEqual(files.map((f) => `./dist/man/${f}`).sort());
  });

  it("render with man -l and groff -ww without a warning", () => {
    for (const p of pages) {
      const { text, stderr } = rendered(p.file);
      expect(stderr, p.file).toBe("");
      expect(text, p.file).toMatch(/^NAME\n/m);
      const groff = spawnSync("groff", ["-ww", "-z", "-man", join(dir, p.file)], { encoding: "utf8" });
      expect(groff.status, p.file).toBe(0);
      expect(groff.stderr, p.file).toBe("");
    }
  });

  it("list every option of every command in its page", () => {
    const texts = new Map(pages.map((p) => [p.file, rendered(p.file).text]));
    let checked = 0;
    for (const [cmd, page] of commandsWithPages()) {
      for (const o of cmd.options) {
        for (const name of o.names) {
          // A whole word: "-c" must not be found inside "--count".
          expect(texts.get(page), `${cmd.path.join(" ")} ${name} in ${page}`).toMatch(
            new RegExp(`(^|[\\s,])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([\\s,]|$)`, "m"),
          );
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it("document link's verbs and every pval keyword", () => {
    const text = rendered("pval-link.8").text;
    for (const verb of ["add", "set", "show", "delete"]) expect(text).toMatch(new RegExp(`^ +pval link ${verb} `, "m"));
    for (const opt of PVAL_OPTIONS) expect(text).toMatch(new RegExp(`^ +${opt.keyword} `, "m"));
    expect(text).toMatch(/netns \{ NETNS \| PID \}/);
  });

  it("escape what roff would take as requests or escapes", () => {
    const page = pages.find((p) => p.file === "pval-print.8")!.text;
    expect([...page].filter((c) => c.charCodeAt(0) > 0x7e)).toEqual([]);
    for (const line of page.split("\n")) expect(line).not.toMatch(/^'/);
  });
});

describe("completion scripts", () => {
  it("offer every option of every command, both shells", () => {
    let checked = 0;
    for (const [cmd] of commandsWithPages()) {
      for (const o of cmd.options) {
        for (const name of o.names) {
          expect(bash, `bash: ${cmd.path.join(" ")} ${name}`).toContain(` ${name}`);
          expect(zsh, `zsh: ${cmd.path.join(" ")} ${name}`).toContain(`'${name}:`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it("are valid bash and zsh", () => {
    const b = spawnSync("bash", ["-n"], { input: bash, encoding: "utf8" });
    expect(b.stderr).toBe("");
    expect(b.status).toBe(0);
    const z = spawnSync("zsh", ["-n"], { input: zsh, encoding: "utf8" });
    expect(z.error).toBeUndefined();
    expect(z.stderr).toBe("");
    expect(z.status).toBe(0);
    // Loaded after compinit, it registers itself for pval.
    writeFileSync(join(dir, "_pval"), zsh);
    const loaded = spawnSync(
      "zsh",
      [
        "-fc",
        `autoload -U compinit && compinit -u -d ${join(dir, "zcompdump")} && source ${join(dir, "_pval")} && print -r -- "$_comps[pval]"`,
      ],
      { encoding: "utf8" },
    );
    expect(loaded.stdout.trim()).toBe("_pval");
  });

  /** What bash offers for the words typed so far (the last one is being completed). */
  function complete(...words: string[]): string[] {
    const script = `${bash}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
_pval; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync("bash", ["--norc", "-c", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    return r.stdout.split("\n").filter((l) => l !== "");
  }

  it("complete commands, global options, link's verbs, keywords and their values in bash", () => {
    expect(complete("pval", "li")).toEqual(["link"]);
    expect(complete("pval", "--js")).toEqual(["--json"]);
    expect(complete("pval", "-j", "-n", "ns1", "link", "s")).toEqual(["set", "show"]);
    expect(complete("pval", "link", "set", "pval0", "ipo")).toEqual(["ipopt"]);
    expect(complete("pval", "link", "set", "pval0", "ipopt", "")).toEqual(["on", "off"]);
    expect(complete("pval", "link", "add", "link", "lo", "type", "")).toEqual(["pval"]);
    expect(complete("pval", "link", "add", "link", "l")).toContain("lo");
    expect(complete("pval", "link", "set", "pval0", "ipopt", "on", "net")).toEqual(["netns"]);
    expect(complete("pval", "dump", "--format", "dump-")).toEqual(["dump-one", "dump-multi"]);
    expect(complete("pval", "dump", "--cou")).toEqual(["--count"]);
    expect(complete("pval", "help", "st")).toEqual(["stats"]);
    expect(complete("pval", "completion", "")).toEqual(["bash", "zsh"]);
  });
});
