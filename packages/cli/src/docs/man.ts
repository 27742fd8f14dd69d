// Man pages (man(7) macros) from the command tree: pval(8) for the program
// and its global options, pval-NAME(8) for each command.
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../command.js";
import type { CommandDoc, OptionDoc } from "./describe.js";

export interface ManPage {
  /** File name, e.g. "pval-link.8". */
  file: string;
  text: string;
}

/** Text as roff prints it: backslashes, minus signs, non-ASCII and control-line starts escaped. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .replace(/[^\n\x20-\x7e]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}]`)
    .replace(/^([.'])/gm, "\\&$1");
}

const bold = (text: string): string => `\\fB${roff(text)}\\fR`;
const italic = (text: string): string => `\\fI${roff(text)}\\fR`;

function optionTerm(o: OptionDoc): string {
  const names = o.names.length > 0 ? o.names : [o.flags];
  const term = names.map(bold).join(", ");
  return o.value === undefined ? term : `${term} ${italic(o.value)}`;
}

function optionBody(o: OptionDoc): string {
  const choices = o.choices === undefined ? "" : ` One of: ${o.choices.join(", ")}.`;
  return roff(`${sentence(o.description)}${choices}`);
}

/** A description as a sentence: capital first letter, full stop at the end. */
function sentence(text: string): string {
  const t = text.trim();
  if (t === "") return t;
  return `${t[0]!.toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? "" : "."}`;
}

function header(name: string, version: string): string[] {
  return [`.TH ${roff(name.toUpperCase())} 8 "" "pval ${roff(version)}" "System Administration"`];
}

function section(title: string): string {
  return `.SH ${roff(title.toUpperCase())}`;
}

function list(items: readonly (readonly [string, string])[]): string[] {
  return items.flatMap(([term, body]) => [".TP", term, body]);
}

const EXIT_STATUS: [string, string][] = [
  [String(EXIT_OK), "Success."],
  [String(EXIT_FAILURE), "The system refused: a kernel error, a missing device or file, no permission."],
  [String(EXIT_USAGE), "The command line was wrong."],
];

function exitStatus(): string[] {
  return [section("exit status"), ...list(EXIT_STATUS.map(([code, text]) => [bold(code), roff(text)]))];
}

function seeAlso(pages: string[]): string[] {
  return [section("see also"), ".nh", pages.map((p, i) => `.BR ${p} (8)${i < pages.length - 1 ? "," : ""}`).join("\n")];
}

/** The synopsis lines of a command, each a full command line. */
function synopsis(cmd: CommandDoc): string[] {
  const own = cmd.usage.map((u) => `${cmd.path.join(" ")} ${u}`);
  const subs = cmd.subcommands.flatMap((s) => s.usage.map((u) => `${s.path.join(" ")} ${u}`.trimEnd()));
  return [...own, ...subs];
}

function commandPage(cmd: CommandDoc, version: string, siblings: string[]): ManPage {
  const name = cmd.path.join("-");
  const lines = [...header(name, version), section("name"), `${roff(name)} \\- ${roff(cmd.summary)}`];
  lines.push(section("synopsis"), ".nf", ...synopsis(cmd).map(roff), ".fi");
  lines.push(section("description"), roff(sentence(cmd.description)));
  const args = cmd.arguments.filter((a) => a.choices === undefined);
  if (args.length > 0) {
    lines.push(section("arguments"), ...list(args.map((a) => [italic(a.name), roff(sentence(a.description))])));
  }
  if (cmd.options.length > 0) {
    lines.push(section("options"), ...list(cmd.options.map((o) => [optionTerm(o), optionBody(o)])));
  }
  if (cmd.subcommands.length > 0) {
    lines.push(
      section("commands"),
      ...list(
        cmd.subcommands.map((s) => {
          const also = s.aliases.length > 0 ? ` Also: ${s.aliases.join(", ")}.` : "";
          return [bold(s.path.at(-1)!), roff(`${sentence(s.summary)}${also}`)];
        }),
      ),
    );
  }
  for (const extra of cmd.sections) {
    lines.push(section(extra.title), ...list(extra.items.map(([term, body]) => [bold(term), roff(sentence(body))])));
  }
  lines.push(...exitStatus(), ...seeAlso(["pval", ...siblings.filter((s) => s !== name)]));
  return { file: `${name}.8`, text: `${lines.join("\n")}\n` };
}

function programPage(program: CommandDoc, version: string, pages: string[]): ManPage {
  const lines = [
    ...header("pval", version),
    section("name"),
    `pval \\- ${roff(program.summary.replace(/^pval: /, ""))}`,
  ];
  lines.push(section("synopsis"), ".nf", ...program.usage.map((u) => roff(`pval ${u}`)), ".fi");
  lines.push(
    section("description"),
    roff(
      "pval sets up pval links (virtual links that number every IPv4 packet they send with IP option 222 " +
        "and copy every packet with its timestamp to per-CPU character devices), reads those copies and " +
        "measures packet intervals, loss and reordering. Each command is described in its own page; " +
        "pval help COMMAND prints its help.",
    ),
  );
  lines.push(section("global options"), ...list(program.options.map((o) => [optionTerm(o), optionBody(o)])));
  lines.push(
    section("commands"),
    ...list(
      program.subcommands.map((s) => {
        const page = s.path.join("-");
        const where = pages.includes(page) ? ` See ${page}(8).` : "";
        return [bold(s.path.at(-1)!), roff(`${sentence(s.summary)}${where}`)];
      }),
    ),
  );
  lines.push(...exitStatus(), ...seeAlso(pages));
  return { file: "pval.8", text: `${lines.join("\n")}\n` };
}

/** pval(8) and one page per command of the program that parses its own words (not `help`). */
export function manPages(program: CommandDoc, version: string): ManPage[] {
  const commands = program.subcommands.filter((s) => s.path[1] !== "help");
  const names = commands.map((c) => c.path.join("-"));
  return [programPage(program, version, names), ...commands.map((c) => commandPage(c, version, names))];
}
