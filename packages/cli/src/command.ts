// The contract between src/bin.ts and the subcommand modules in src/commands/.

/** Success. */
export const EXIT_OK = 0;
/** The request was well formed but failed (kernel error, missing device, no permission). */
export const EXIT_FAILURE = 1;
/** The command line was wrong; the usage was printed. */
export const EXIT_USAGE = 2;

/** Where a subcommand writes; tests pass their own. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const stdio: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** What every module in src/commands/ exports. */
export interface SubcommandModule {
  /**
   * Run the subcommand with the words after its name. Return the exit code
   * (EXIT_OK, EXIT_FAILURE, EXIT_USAGE); report expected failures on `io.err`
   * as one line prefixed with the subcommand, and never throw for them.
   */
  main(args: string[], io: CliIo): Promise<number>;
}
