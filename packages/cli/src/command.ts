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
   *
   * `main(["--help"], io)` prints the command's help and returns EXIT_OK:
   * `pval help NAME` shows it, and src/docs/ generates the man page and the
   * completion from the commander Command that prints it (or, when none
   * does, from the option lines of the text).
   */
  main(args: string[], io: CliIo): Promise<number>;
}

/**
 * The global options, iproute2's: given before the command (`pval -j link
 * show`), they apply to `pval link`, which also takes them after `link`.
 */
export const GLOBAL_OPTIONS: readonly {
  long: "json" | "pretty" | "stats" | "details" | "netns";
  short: string;
  flags: string;
  /** The words iproute2 takes after one dash, each also by any prefix of two letters or more: -json, -js. */
  spellings: readonly string[];
  description: string;
}[] = [
  { long: "json", short: "-j", flags: "-j, --json", spellings: ["json"], description: "print JSON, with ip -j's keys" },
  { long: "pretty", short: "-p", flags: "-p, --pretty", spellings: ["pretty"], description: "print indented JSON" },
  {
    long: "stats",
    short: "-s",
    flags: "-s, --stats",
    spellings: ["stats", "statistics"],
    description: "add the interface counters and pval's own",
  },
  {
    long: "details",
    short: "-d",
    flags: "-d, --details",
    spellings: ["details"],
    description: "accepted as in ip; pval link always prints the details",
  },
  {
    long: "netns",
    short: "-n",
    flags: "-n, --netns <NETNS>",
    spellings: ["netns"],
    description: "work in the network namespace NETNS (a name under /run/netns, or a path), like ip -n",
  },
];

/** The global option a word spells (`-j`, `--json`, `-json`, `-js`), or undefined. */
export function globalOption(word: string): (typeof GLOBAL_OPTIONS)[number]["long"] | undefined {
  for (const opt of GLOBAL_OPTIONS) {
    if (word === opt.short || word === `--${opt.long}`) return opt.long;
    const bare = word.slice(1);
    if (word[1] !== "-" && bare.length > 1 && opt.spellings.some((s) => s.startsWith(bare))) return opt.long;
  }
  return undefined;
}
