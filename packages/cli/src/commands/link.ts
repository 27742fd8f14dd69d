// `pval link`: add, change, show and delete pval links.
//
//   pval link add [NAME] link DEV [ipopt {on|off}] ... [ring_slots N]
//   pval link set [dev] NAME [ipopt {on|off}] ...
//   pval link show [[dev] NAME] [-j|-p] [-s]
//   pval link del [dev] NAME
//   pval link help
//
// Exit 0 on success, 1 when the kernel or the system refuses, 2 on a usage
// error. Errors are one line on stderr, "link: ..."; the kernel's extack
// text is printed verbatim.
import type { Link, PvalNetlink, RtnlOptions } from "@pval/netlink";
import type { CliIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../command.js";
import { printLink } from "../print/link.js";
import { Printer } from "../print/printer.js";
import { HelpRequested, matches, parseDevArg, parseLinkArgs, UsageError, usage } from "./link-grammar.js";

interface GlobalFlags {
  json: boolean;
  pretty: boolean;
  stats: boolean;
  netns?: string;
}

/** Pull -j/-p/-s/-d/-n NETNS out of the words, wherever they are. */
function splitFlags(args: string[]): { flags: GlobalFlags; words: string[] } {
  const flags: GlobalFlags = { json: false, pretty: false, stats: false };
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-j" || a === "-json" || a === "--json") flags.json = true;
    else if (a === "-p" || a === "-pretty" || a === "--pretty") flags.pretty = true;
    else if (a === "-s" || a === "-stats" || a === "--stats") flags.stats = true;
    else if (a === "-d" || a === "-details" || a === "--details") {
      // Always detailed; accepted for `ip -d` habits.
    } else if (a === "-n" || a === "-netns" || a === "--netns") {
      const ns = args[++i];
      if (ns === undefined) throw new UsageError(`"${a}" needs a network namespace name`);
      flags.netns = ns;
    } else if (a === "-h" || a === "--help") words.push("help");
    else if (a.startsWith("-") && a.length > 1 && !/^-\d/.test(a)) throw new UsageError(`unknown flag "${a}"`, true);
    else words.push(a);
  }
  return { flags, words };
}

type Verb = "add" | "set" | "show" | "del" | "help";

function parseVerb(word: string | undefined): Verb {
  if (word === undefined) return "show";
  if (matches(word, "add") || word === "create") return "add";
  if (matches(word, "set") || matches(word, "change")) return "set";
  if (matches(word, "show") || matches(word, "list") || word === "lst") return "show";
  if (matches(word, "delete") || word === "del") return "del";
  if (matches(word, "help")) return "help";
  throw new UsageError(`unknown command "${word}"`, true);
}

export async function main(args: string[], io: CliIo): Promise<number> {
  let flags: GlobalFlags;
  let verb: Verb;
  let rest: string[];
  try {
    const split = splitFlags(args);
    flags = split.flags;
    verb = parseVerb(split.words[0]);
    rest = split.words.slice(1);
    if (verb === "help") {
      io.out(usage());
      return EXIT_OK;
    }
    // Validate the whole command line before touching the kernel.
    const plan = planFor(verb, rest);
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

function planFor(verb: Exclude<Verb, "help">, words: string[]): Plan {
  switch (verb) {
    case "add": {
      const { name, link, changes } = parseLinkArgs(words, "add");
      return async (nl) => {
        await nl.createLink({ ...changes, link: link!, ...(name === undefined ? {} : { name }) });
        return EXIT_OK;
      };
    }
    case "set": {
      const { name, changes } = parseLinkArgs(words, "set");
      return async (nl) => {
        await nl.setLink(name!, changes);
        return EXIT_OK;
      };
    }
    case "del": {
      const name = parseDevArg(words, true)!;
      return async (nl) => {
        await nl.deleteLink(name);
        return EXIT_OK;
      };
    }
    case "show": {
      const name = parseDevArg(words, false);
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
        const p = new Printer({ json: flags.json, pretty: flags.pretty });
        const { isPvalLink } = await import("@pval/netlink");
        for (const l of links) if (isPvalLink(l)) printLink(p, l, byIndex, { stats: flags.stats });
        io.out(p.toString());
        return EXIT_OK;
      };
    }
  }
}

/**
 * One line on stderr: usage errors exit 2, everything the system refuses
 * (kernel errors, missing links, malformed replies) exits 1. Programming
 * errors are not user errors: they propagate with their stack.
 */
function report(err: unknown, io: CliIo): number {
  if (err instanceof HelpRequested) {
    io.out(usage());
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
