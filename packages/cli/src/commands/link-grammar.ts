// The `pval link` grammar, iproute2 style: keyword prefixes via matches(), a
// repeated keyword is an error, an unknown keyword prints the usage, and the
// constraints between keywords are checked after the loop. The keywords come
// from the option table of @pval/netlink, so a new attribute appears here,
// in the usage and in the printers without further edits.
import { PVAL_OPTIONS, type PvalChanges } from "@pval/netlink";

const KIND = "pval";

/** A command line that cannot be run; exits 2. `showUsage` appends the usage block. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly showUsage: boolean;
  constructor(message: string, showUsage = false) {
    super(message);
    this.showUsage = showUsage;
  }
}

/** `help` anywhere on the line: print the usage on stdout and exit 0. */
export class HelpRequested extends Error {
  override name = "HelpRequested";
  constructor() {
    super("help");
  }
}

/** iproute2's matches(): a non-empty prefix of the keyword. */
export function matches(word: string, keyword: string): boolean {
  return word.length > 0 && word.length <= keyword.length && keyword.startsWith(word);
}

/** The usage block of `ip link add type pval help`, with every appended option. */
export function usage(): string {
  const indent = " ".repeat(17);
  const lines = [`Usage: ... ${KIND} link PHYS_DEV`];
  for (const opt of PVAL_OPTIONS) lines.push(`${indent}[ ${opt.keyword} ${opt.meta} ]`);
  lines.push(
    "",
    `       pval link add [ NAME ] link PHYS_DEV [ OPTIONS ]`,
    `       pval link set [ dev ] NAME [ OPTIONS ]`,
    `       pval link show [ [ dev ] NAME ] [ -j | -p ] [ -s ]`,
    `       pval link del [ dev ] NAME`,
    `       pval link help`,
    "",
    "OPTIONS are the bracketed keywords above; ring_slots only at creation.",
    "Global flags, before or after the verb: -j (JSON), -p (pretty JSON), -s (counters), -n NETNS.",
  );
  return `${lines.join("\n")}\n`;
}

export interface LinkArgs {
  name?: string;
  link?: string;
  changes: PvalChanges;
}

/**
 * Parse the words after `add` or `set`. `add` takes an optional NAME (or
 * `name NAME`) and `link DEV`; `set` takes `[dev] NAME`. No defaults are
 * filled in: what is not on the command line is not sent.
 */
export function parseLinkArgs(words: string[], verb: "add" | "set"): LinkArgs {
  const out: LinkArgs = { changes: {} };
  const seen = new Set<string>();
  const once = (keyword: string, word: string): void => {
    if (seen.has(keyword)) throw new UsageError(`duplicate keyword "${keyword}" (at "${word}")`);
    seen.add(keyword);
  };
  const value = (i: number, keyword: string): string => {
    const v = words[i + 1];
    if (v === undefined) throw new UsageError(`"${keyword}" needs a value`);
    return v;
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "help") throw new HelpRequested();
    const opt = PVAL_OPTIONS.find((o) => matches(word, o.keyword));
    if (opt !== undefined) {
      once(opt.keyword, word);
      const v = value(i++, opt.keyword);
      if (opt.type === "switch") {
        if (v !== "on" && v !== "off") throw new UsageError(`invalid value "${v}" for ${opt.keyword}: use on or off`);
        (out.changes as Record<string, unknown>)[opt.key] = v === "on";
      } else {
        if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) {
          throw new UsageError(`invalid value "${v}" for ${opt.keyword}: use an unsigned integer`);
        }
        (out.changes as Record<string, unknown>)[opt.key] = Number(v);
      }
      continue;
    }
    if (matches(word, "link")) {
      once("link", word);
      out.link = value(i++, "link");
    } else if (verb === "add" ? word === "name" : matches(word, "dev")) {
      once("name", word);
      out.name = value(i++, word);
    } else if (i === 0) {
      // The positional NAME comes first: `add [NAME] link DEV`, `set [dev] NAME`.
      once("name", word);
      out.name = word;
    } else {
      throw new UsageError(`unknown keyword "${word}"`, true);
    }
  }
  // Constraints between keywords, after the loop.
  if (verb === "add" && out.link === undefined) {
    throw new UsageError('missing "link PHYS_DEV": a pval link needs a lower device', true);
  }
  if (verb === "set") {
    if (out.name === undefined) throw new UsageError("missing the link to change: pval link set [ dev ] NAME", true);
    if (out.link !== undefined) throw new UsageError("the lower device (link) cannot be changed after creation");
  }
  return out;
}

/** Parse `[dev] NAME` for show and del; `required` makes NAME mandatory. */
export function parseDevArg(words: string[], required: boolean): string | undefined {
  let name: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "help") throw new HelpRequested();
    if (name !== undefined) throw new UsageError(`unknown keyword "${word}"`, true);
    if (word === "dev") {
      const v = words[++i];
      if (v === undefined) throw new UsageError('"dev" needs a value');
      name = v;
    } else {
      name = word;
    }
  }
  if (required && name === undefined) throw new UsageError("missing the link: [ dev ] NAME", true);
  return name;
}
