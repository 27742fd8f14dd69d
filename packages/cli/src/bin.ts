#!/usr/bin/env node
// The pval command. This file only wires subcommands: each one lives in
// src/commands/<name>.ts and is imported when it runs, so `pval --version`
// and `pval help` never load the libraries behind them.
//
// Adding a subcommand is one line in SUBCOMMANDS below; its module exports
// `main(args, io)` (see ./command.ts) and parses its own arguments.
import { Command, CommanderError } from "commander";
import type { SubcommandModule } from "./command.js";
import { EXIT_FAILURE, EXIT_USAGE, stdio } from "./command.js";
import { missingNativePackage, NativePackageMissingError } from "./native.js";

declare const PVAL_CLI_VERSION: string;
const version = typeof PVAL_CLI_VERSION === "string" ? PVAL_CLI_VERSION : "0.0.0-dev";

interface Subcommand {
  name: string;
  summary: string;
  load: () => Promise<SubcommandModule>;
}

const SUBCOMMANDS: Subcommand[] = [
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
];

function buildProgram(): Command {
  const program = new Command("pval")
    .description("pval: packet interval measurement on Linux")
    .version(version, "-V, --version")
    .showHelpAfterError()
    .exitOverride();
  for (const sub of SUBCOMMANDS) {
    program
      .command(sub.name)
      .description(sub.summary)
      .argument("[args...]", `arguments of ${sub.name}; \`pval ${sub.name} help\` lists them`)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(async (args: string[]) => {
        let mod: SubcommandModule;
        try {
          mod = await sub.load();
        } catch (err) {
          // `link` imports @pval/netlink as it loads: the optional package may be absent.
          const missing = missingNativePackage(err);
          if (missing === undefined) throw err;
          stdio.err(`${sub.name}: ${new NativePackageMissingError(missing, err).message}\n`);
          process.exitCode = EXIT_FAILURE;
          return;
        }
        process.exitCode = await mod.main(args, stdio);
      });
  }
  return program;
}

async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --version and --help end here with exitCode 0; usage errors were printed by commander.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    throw err;
  }
}

run(process.argv).catch((err: unknown) => {
  // Subcommands turn every expected failure into an exit code; reaching this is a bug.
  process.stderr.write(`pval: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 70;
});
