// `pval link`: add, change, show and delete pval links, with iproute2's
// grammar (see link-grammar.ts):
//
//   pval [ -j | -p ] [ -s ] [ -d ] [ -n NETNS ] link add [ link DEV ] [ name ] NAME [ type pval ] [ ipopt {on|off} ] ...
//   pval link set [ dev ] NAME [ up | down ] [ mtu N ] [ name NEW ] [ netns NS ] [ ipopt {on|off} ] ...
//   pval link show [ [ dev ] NAME ] [ up ]
//   pval link delete [ dev ] NAME
//   pval link help
//
// The global options may also follow `link`. Exit 0 on success, 1 when the
// kernel or the system refuses, 2 on a usage error. Errors are one line on
// stderr, "link: ..."; the kernel's extack text is printed verbatim.
import { existsSync } from "node:fs";
import { type Link, PVAL_OPTIONS, type PvalNetlink, type RtnlOptions } from "@pval/netlink";
import { Argument, Command } from "commander";
import type { CliIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, GLOBAL_OPTIONS, globalOption } from "../command.js";
import { addCompletionHints, addManSection } from "../docs/sections.js";
import { printLink } from "../print/link.js";
import { Printer } from "../print/printer.js";
import {
  HelpRequested,
  KEYWORD_HELP,
  KEYWORD_VALUES,
  LINK_VERBS,
  type LinkArgs,
  type LinkVerb,
  parseLinkArgs,
  parseVerb,
  UsageError,
  usage,
  VERB_WORDS,
} from "./link-grammar.js";

interface GlobalFlags {
  json: boolean;
  pretty: boolean;
  stats: boolean;
  netns?: string;
}

/** Pull the global options (-j/-p/-s/-d/-n NETNS, iproute2's spellings too) out of the words, wherever they are. */
function splitFlags(args: string[]): { flags: GlobalFlags; words: string[] } {
  const flags: GlobalFlags = { json: false, pretty: false, stats: false };
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("-") || a.length === 1 || /^-\d/.test(a)) {
      words.push(a);
      continue;
    }
    const opt = a === "-h" || a === "--help" ? "help" : globalOption(a);
    if (opt === "help") words.push("help");
    else if (opt === "json") flags.json = true;
    else if (opt === "pretty") flags.pretty = true;
    else if (opt === "stats") flags.stats = true;
    else if (opt === "details") {
      // Always detailed; accepted for `ip -d` habits.
    } else if (opt === "netns") {
      const ns = args[++i];
      if (ns === undefined) throw new UsageError(`"${a}" needs a network namespace name`);
      flags.netns = ns;
    } else throw new UsageError(`unknown flag "${a}"`, true);
  }
  return { flags, words };
}

/**
 * The commander description of `pval link`: its help is the usage block, and
 * the man page and the completion scripts are generated from it.
 */
export function linkCommand(io: CliIo): Command {
  const cmd = new Command("link")
    .description(
      "add, change, show and delete pval links, with the grammar of ip link: the global options come before link " +
        "(or anywhere after it), the link's name stands wherever ip takes it, keywords may be abbreviated to any " +
        "prefix, a repeated keyword is an error and an unknown one prints the usage",
    )
    .usage("{ add | set | show | delete | help } ...")
    .helpOption("-h, --help", "print the usage")
    .configureHelp({ formatHelp: () => usage() })
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const opt of GLOBAL_OPTIONS) cmd.option(opt.flags, opt.description);
  // Completion offers ring_slots only to add; set sends it so that the kernel can say why not.
  const words = (verb: LinkVerb["name"]): string[] =>
    verb === "help"
      ? []
      : [
          ...VERB_WORDS[verb],
          ...PVAL_OPTIONS.filter((o) => verb === "add" || (verb === "set" && !o.creationOnly)).map((o) => o.keyword),
        ];
  for (const verb of LINK_VERBS) {
    const sub = cmd
      .command(verb.name)
      .aliases([...verb.prefixed.filter((w) => w !== verb.name), ...verb.exact])
      .usage(verb.synopsis.slice(verb.name.length + 1))
      .description(verb.summary)
      .helpOption(false);
    const taken = words(verb.name);
    if (taken.length > 0) {
      sub.addArgument(new Argument("[words...]", "keywords and their values, and the link's name").choices(taken));
      addCompletionHints(
        sub,
        Object.fromEntries(taken.flatMap((w) => (KEYWORD_VALUES[w] === undefined ? [] : [[w, KEYWORD_VALUES[w]]]))),
      );
    }
  }
  addManSection(
    cmd,
    "PVAL OPTIONS",
    PVAL_OPTIONS.map((o) => [`${o.keyword} ${o.meta}`, KEYWORD_HELP[o.key]]),
  );
  return cmd;
}

export async function main(args: string[], io: CliIo): Promise<number> {
  let flags: GlobalFlags;
  try {
    const split = splitFlags(args);
    flags = split.flags;
    const verb = parseVerb(split.words[0]);
    if (verb === "help") throw new HelpRequested();
    // Validate the whole command line before touching the kernel.
    const plan = planFor(verb, parseLinkArgs(split.words.slice(1), verb));
    const lib = await import("@pval/netlink");
    const connection: RtnlOptions = flags.netns === undefined ? {} : { netns: flags.netns };
    const nl = lib.PvalNetlink.open(connection);
    try {
      return await plan(nl, flags, io);
    } finally {
      nl.close();
    }
  } catch (err) {
    return report(err, io);
  }
}

type Plan = (nl: PvalNetlink, flags: GlobalFlags, io: CliIo) => Promise<number>;

/**
 * `netns NS` as ip reads it: a namespace name (or path) when one exists by
 * that name, else a number is a process whose namespace is meant.
 */
export function netnsTarget(value: string, exists: (path: string) => boolean = existsSync): string | number {
  if (/^\d+$/.test(value) && !exists(value.startsWith("/") ? value : `/run/netns/${value}`)) return Number(value);
  return value;
}

function planFor(verb: "add" | "set" | "show" | "delete", args: LinkArgs): Plan {
  const { name, link, changes } = args;
  switch (verb) {
    case "add":
      return async (nl) => {
        await nl.createLink({ ...changes, link: link!, ...(name === undefined ? {} : { name }) });
        return EXIT_OK;
      };
    case "set": {
      const settings: typeof changes = { ...changes };
      if (typeof changes.netns === "string") settings.netns = netnsTarget(changes.netns);
      return async (nl) => {
        await nl.setLink(name!, settings);
        return EXIT_OK;
      };
    }
    case "delete":
      return async (nl) => {
        await nl.deleteLink(name!);
        return EXIT_OK;
      };
    case "show":
      return async (nl, flags, io) => {
        const all = await nl.listAllLinks();
        const byIndex = new Map<number, Link>(all.map((l) => [l.index, l]));
        let links = all;
        if (name !== undefined) {
          // Resolves a name or an index and raises the typed "no such link" / "not pval" errors.
          const one = await nl.getLink(/^\d+$/.test(name) ? Number(name) : name);
          links = all.filter((l) => l.index === one.index);
          if (links.length === 0) links = [one];
        }
        if (args.up) links = links.filter((l) => l.flags & IFF_UP);
        const p = new Printer({ json: flags.json, pretty: flags.pretty });
        const { isPvalLink } = await import("@pval/netlink");
        for (const l of links) if (isPvalLink(l)) printLink(p, l, byIndex, { stats: flags.stats });
        io.out(p.toString());
        return EXIT_OK;
      };
  }
}

const IFF_UP = 0x1;

/**
 * One line on stderr: usage errors exit 2, everything the system refuses
 * (kernel errors, missing links, malformed replies) exits 1. Programming
 * errors are not user errors: they propagate with their stack.
 */
function report(err: unknown, io: CliIo): number {
  if (err instanceof HelpRequested) {
    linkCommand(io).outputHelp();
    return EXIT_OK;
  }
  if (err instanceof UsageError) {
    io.err(`link: ${err.message}\n`);
    if (err.showUsage) io.err(usage());
    return EXIT_USAGE;
  }
  if (err instanceof Error && !(err instanceof TypeError || err instanceof ReferenceError)) {
    io.err(`link: ${err.message}\n`);
    return EXIT_FAILURE;
  }
  throw err;
}
