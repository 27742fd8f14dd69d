// Argument parsing shared by the subcommands built on commander (`pval
// print`, `pval dump`): help on stdout with exit 0; a usage error as one line
// `<name>: <problem>` then the usage on stderr, exit 2.

import type { Command } from "commander";
import { CommanderError } from "commander";
import type { CliIo } from "./command.js";
import { EXIT_OK, EXIT_USAGE } from "./command.js";

/** A command line that parsed but does not make sense; the message names the problem. */
export class UsageError extends Error {}

/** Sends a command's help to the io's stdout and its errors, prefixed with `name`, to stderr. */
export function commandOutput(command: Command, io: CliIo, name: string): Command {
  return command
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (s, write) => write(`${name}: ${s}`) });
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: number };

/**
 * Parses `args` with `command` (see {@link commandOutput}) and hands the
 * result to `check`, which may throw a UsageError. Help and errors are
 * written here; the exit code comes back when there is nothing to run.
 */
export function parseCommand<T>(
  command: Command,
  args: string[],
  io: CliIo,
  name: string,
  check: (command: Command) => T,
): Parsed<T> {
  try {
    command.parse(args, { from: "user" });
    return { ok: true, value: check(command) };
  } catch (err) {
    if (err instanceof CommanderError) return { ok: false, code: err.exitCode === 0 ? EXIT_OK : EXIT_USAGE };
    if (err instanceof UsageError) {
      io.err(`${name}: ${err.message}\n`);
      io.err(command.helpInformation());
      return { ok: false, code: EXIT_USAGE };
    }
    throw err;
  }
}
