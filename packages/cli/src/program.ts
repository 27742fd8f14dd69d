// The `pval` program: its global options and its subcommands. Each
// subcommand lives in src/commands/<name>.ts and is imported when it runs,
// so `pval --version` and `pval help` never load the libraries behind them.
//
// Adding a subcommand is one entry in SUBCOMMANDS; its module exports
// `main(args, io)` (see ./command.ts) and parses its own arguments. Its
// `--help` is its documentation: `pval help NAME` prints it, and the man
// pages and the completion scripts are generated from the commander
// definition that prints it (src/docs/).
import { Argument, Command, CommanderError, Option } from "commander";
import type { CliIo, SubcommandModule } from "./command.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, GLOBAL_OPTIONS, globalOption } from "./command.js";
import { missingNativePackage, NativePackageMissingError } from "./native.js";

declare const PVAL_CLI_VERSION: string;
export const VERSION = typeof PVAL_CLI_VERSION === "string" ? PVAL_CLI_VERSION : "0.0.0-dev";

export interface Subcommand {
  name: string;
  summary: string;
  load: () => Promise<SubcommandModule>;
}

export const SUBCOMMANDS: readonly Subcommand[] = [
  { name: "link", summary: "add, change, show and delete pval links", load: () => import("./commands/link.js") },
  {
    name: "dump",
    summary: "print or save the packet copies of pval devices",
    load: () => import("./commands/dump.js"),
  },
  {
    name: "print",
    summary: "print packets as tcpdump does, option 222 included",
    load: () => import("./commands/print.js"),
  },
  {
    name: "stats",
    summary: "loss, duplicates, reordering, intervals and delay variation per sender and CPU",
    load: () => import("./commands/stats.js"),
  },
  {
    name: "completion",
    summary: "print the bash or zsh completion script",
    load: () => import("./commands/completion.js"),
  },
];

/** The subcommands that take the global options; the others have options of their own. */
const TAKES_GLOBAL_OPTIONS = new Set(["link"]);

export const PROGRAM_DESCRIPTION = "pval: packet interval measurement on Linux";

/**
 * The program as commander sees it. Subcommands parse their own words; the
 * global options before the subcommand are handed to it as words. `exit`
 * receives the exit code of the command that ran.
 */
export function buildProgram(io: CliIo, exit: (code: number) => void = () => {}): Command {
  const program = new Command("pval")
    .description(PROGRAM_DESCRIPTION)
    .usage("[ GLOBAL_OPTIONS ] COMMAND [ ARGS... ]")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "print this help")
    .helpCommand(false)
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const opt of GLOBAL_OPTIONS) program.addOption(new Option(opt.flags, `${opt.description} (pval link)`));
  for (const sub of SUBCOMMANDS) {
    program
      .command(sub.name)
      .description(sub.summary)
      .argument("[args...]", `arguments of ${sub.name}; \`pval help ${sub.name}\` lists them`)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .passThroughOptions()
      .action(async (args: string[]) => {
        const globals = globalWords(program);
        if (globals.length > 0 && !TAKES_GLOBAL_OPTIONS.has(sub.name)) {
          throw new GlobalOptionError(
            `pval: ${globals[0]} is an option of pval link; ${sub.name} takes its own options after its name ` +
              `(pval help ${sub.name})`,
          );
        }
        const mod = await load(sub, io);
        exit(mod ? await mod.main([...globals, ...args], io) : EXIT_FAILURE);
      });
  }
  program
    .command("help")
    .description("print the help of pval or of one of its commands")
    .addArgument(new Argument("[command]", "a command of pval").choices(SUBCOMMANDS.map((s) => s.name)))
    .helpOption(false)
    .action(async (name: string | undefined) => {
      exit(await help(program, name, io));
    });
  return program;
}

class GlobalOptionError extends Error {}

/**
 * The subcommand's module, or undefined after saying in one line which
 * optional native package it needs and is missing (`link` imports
 * @pval/netlink as it loads).
 */
async function load(sub: Subcommand, io: CliIo): Promise<SubcommandModule | undefined> {
  try {
    return await sub.load();
  } catch (err) {
    const missing = missingNativePackage(err);
    if (missing === undefined) throw err;
    io.err(`${sub.name}: ${new NativePackageMissingError(missing, err).message}\n`);
    return undefined;
  }
}

/** The global options given before the subcommand, as words for it. */
function globalWords(program: Command): string[] {
  const opts = program.opts<Record<string, string | boolean | undefined>>();
  const words: string[] = [];
  for (const opt of GLOBAL_OPTIONS) {
    const v = opts[opt.long];
    if (v === true) words.push(opt.short);
    else if (typeof v === "string") words.push(opt.short, v);
  }
  return words;
}

/**
 * `pval help [COMMAND]`: the program's help, or the command's own (what
 * `pval COMMAND --help` prints), on stdout, exit 0.
 */
async function help(program: Command, name: string | undefined, io: CliIo): Promise<number> {
  if (name === undefined) {
    io.out(program.helpInformation());
    return EXIT_OK;
  }
  const sub = SUBCOMMANDS.find((s) => s.name === name)!;
  // Asked for, the help is the output, whichever stream the command writes it to.
  const mod = await load(sub, io);
  return mod ? mod.main(["--help"], { out: io.out, err: io.out }) : EXIT_FAILURE;
}

/**
 * iproute2's spellings of the global options before the command (`-json`,
 * `-stats`, `-netns NS`) in commander's (`--json`); the words from the
 * command on are left as they are.
 */
export function normalizeGlobalOptions(args: readonly string[]): string[] {
  const out = [...args];
  for (let i = 0; i < out.length; i++) {
    const word = out[i]!;
    if (!word.startsWith("-") || word === "--") break;
    const long = globalOption(word);
    if (long !== undefined) out[i] = `--${long}`;
    if (long === "netns") i++;
  }
  return out;
}

/** Run the program on `argv` (process.argv shape); resolves with the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([argv[0]!, argv[1]!, ...normalizeGlobalOptions(argv.slice(2))]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --version and --help end here with exitCode 0; usage errors were printed by commander.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof GlobalOptionError) {
      io.err(`${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  return code;
}
