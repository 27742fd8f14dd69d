// The command tree of `pval`, for the man pages and the completion scripts.
//
// The program's own commander definition gives the global options and the
// command list. Each subcommand is asked for its help (`main(["--help"])`),
// and the commander Command that prints it is walked: its options,
// arguments and subcommands are what the generated files list, so an
// option added to a command appears in them without further edits. A
// command whose help is not printed by commander is described by its help
// text: its option lines (those that start with "-") give its options.
import { Command } from "commander";
import type { CliIo, SubcommandModule } from "../command.js";
import { buildProgram, PROGRAM_DESCRIPTION, SUBCOMMANDS } from "../program.js";
import { type CompletionHint, completionHints, type ManSection, manSections } from "./sections.js";

export interface OptionDoc {
  /** As written in the help: "-c, --count <COUNT>". */
  flags: string;
  /** Every spelling: ["-c", "--count"]. */
  names: string[];
  /** The value's name ("COUNT"), when the option takes one. */
  value?: string;
  choices?: readonly string[];
  description: string;
}

export interface ArgumentDoc {
  name: string;
  description: string;
  choices?: readonly string[];
}

export interface CommandDoc {
  /** The words that run it: ["pval", "link", "add"]. */
  path: string[];
  aliases: string[];
  summary: string;
  description: string;
  /** Synopsis lines, each after the command's path. */
  usage: string[];
  options: OptionDoc[];
  arguments: ArgumentDoc[];
  subcommands: CommandDoc[];
  sections: readonly ManSection[];
  /** What a word after it takes as its value, for completion (link's keywords). */
  hints: Readonly<Record<string, CompletionHint>>;
  /** The help it prints, verbatim. */
  help: string;
}

/** Walk a commander Command (and its subcommands) into a CommandDoc. */
export function fromCommand(cmd: Command, path: string[], help = cmd.helpInformation()): CommandDoc {
  // visibleOptions: the command's options with its help and version options.
  const options: OptionDoc[] = cmd
    .createHelp()
    .visibleOptions(cmd)
    .map((o) => {
      const value = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
      return {
        flags: o.flags,
        names: [o.short, o.long].filter((n): n is string => n !== undefined),
        ...(value === undefined ? {} : { value }),
        ...(o.argChoices === undefined ? {} : { choices: o.argChoices }),
        description: o.description,
      };
    });
  return {
    path,
    aliases: cmd.aliases(),
    summary: cmd.summary() || cmd.description(),
    description: cmd.description(),
    usage: [cmd.usage()],
    options,
    arguments: cmd.registeredArguments.map((a) => ({
      name: a.name(),
      description: a.description,
      ...(a.argChoices === undefined ? {} : { choices: a.argChoices }),
    })),
    subcommands: cmd.commands.map((sub) => fromCommand(sub, [...path, sub.name()])),
    sections: manSections(cmd),
    hints: completionHints(cmd),
    help,
  };
}

/**
 * Describe a command from its help text alone: the "Usage:" lines are its
 * synopsis, each line that starts with an option gives that option.
 */
export function fromHelpText(path: string[], summary: string, help: string): CommandDoc {
  const usage: string[] = [];
  const options: OptionDoc[] = [];
  const prefix = `${path.join(" ")} `;
  for (const line of help.split("\n")) {
    const synopsis = /^(?:Usage:)?\s+(\S.*)$/.exec(line)?.[1];
    if (synopsis?.startsWith(prefix) && (line.startsWith("Usage:") || usage.length > 0)) {
      usage.push(synopsis.slice(prefix.length));
      continue;
    }
    const option = /^\s+(-\S.*)$/.exec(line)?.[1];
    if (option === undefined) continue;
    // The option spellings and value names come first, then the description.
    const words = option.split(/\s+/);
    let n = 0;
    while (n < words.length && /^(-[^\s,]+,?|[A-Z][A-Z0-9_|.]*,?|\.\.\.)$/.test(words[n]!)) n++;
    const terms = words.slice(0, n);
    const names = terms.filter((w) => w.startsWith("-")).map((w) => w.replace(/,$/, ""));
    const value = terms.find((w) => /^[A-Z]/.test(w))?.replace(/,$/, "");
    options.push({
      flags: terms.join(" "),
      names,
      ...(value === undefined ? {} : { value }),
      description: words.slice(n).join(" "),
    });
  }
  return {
    path,
    aliases: [],
    summary,
    description: summary,
    usage,
    options,
    arguments: [],
    subcommands: [],
    sections: [],
    hints: {},
    help,
  };
}

/**
 * Ask a subcommand for its help and describe it from the commander Command
 * that printed it, or from the text when none did.
 */
export async function describeSubcommand(name: string, summary: string, mod: SubcommandModule): Promise<CommandDoc> {
  let text = "";
  const io: CliIo = { out: (t) => void (text += t), err: (t) => void (text += t) };
  const shown: Command[] = [];
  const helpInformation = Command.prototype.helpInformation;
  Command.prototype.helpInformation = function (this: Command, ...args) {
    shown.push(this);
    return helpInformation.apply(this, args);
  };
  try {
    await mod.main(["--help"], io);
  } finally {
    Command.prototype.helpInformation = helpInformation;
  }
  const path = ["pval", name];
  const cmd = shown[0];
  if (cmd === undefined) return fromHelpText(path, summary, text);
  const doc = fromCommand(cmd, path, text);
  // The program's one-line summary names it in lists; the command's own description stays the body.
  return { ...doc, summary };
}

/**
 * The whole tree: the program, with every subcommand described by its own
 * module. A module that cannot be loaded (an optional dependency that is not
 * installed) fails the description, unless `partial` is set: then the
 * command is listed with its summary alone.
 */
export async function describeProgram(options: { partial?: boolean } = {}): Promise<CommandDoc> {
  const silent: CliIo = { out: () => {}, err: () => {} };
  const program = fromCommand(buildProgram(silent), ["pval"]);
  const subcommands: CommandDoc[] = [];
  for (const sub of SUBCOMMANDS) {
    let mod: SubcommandModule;
    try {
      mod = await sub.load();
    } catch (err) {
      if (!options.partial) throw err;
      subcommands.push(fromHelpText(["pval", sub.name], sub.summary, ""));
      continue;
    }
    subcommands.push(await describeSubcommand(sub.name, sub.summary, mod));
  }
  // The help command is the program's own: keep it as commander describes it.
  const help = program.subcommands.find((s) => s.path[1] === "help");
  return {
    ...program,
    summary: PROGRAM_DESCRIPTION,
    subcommands: help === undefined ? subcommands : [...subcommands, help],
  };
}
